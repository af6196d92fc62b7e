"""Seed statistics of a study (``tools/analysis_tools/synth_study.py``).

For the values :math:`x_1, \\dots, x_n` of one (method, task, metric) cell,
one per seed::

    mean            x̄ = (1/n) Σ_i x_i
    sample std      s = sqrt( Σ_i (x_i − x̄)² / (n − 1) )          (ddof = 1)
    95 % interval   x̄ ± h,   h = t_{0.975, n−1} · s / √n          (Student t)

A method A is compared with a reference R on the seeds both have, pairing the
runs of one seed (the same seed drives the pre-training and the transfer of
both)::

    d_i = a_i − r_i,   and the three numbers above of d

which is the interval of the paired t-test (``scipy.stats.ttest_rel``). With
one value the std and the interval are undefined (``nan``).

    >>> s = summarize([1.0, 2.0, 3.0])
    >>> s.n, s.mean, s.std, round(s.half_width, 4)
    (3, 2.0, 1.0, 2.4841)
    >>> paired_difference({0: 2.0, 1: 3.5}, {0: 1.0, 1: 2.0}).mean
    1.25
"""
import math
from typing import Mapping, NamedTuple, Sequence, Tuple

import numpy as np
from scipy import stats

DIRECTIONS = ('higher', 'lower')  # which way a metric is better


class Summary(NamedTuple):
    """``n`` values: their mean, sample std and t-interval half-width."""
    n: int
    mean: float
    std: float
    half_width: float

    @property
    def interval(self) -> Tuple[float, float]:
        return self.mean - self.half_width, self.mean + self.half_width


def t_half_width(std: float, n: int, confidence: float = 0.95) -> float:
    """``t_{(1+confidence)/2, n−1} · std / √n``; ``nan`` for ``n < 2``."""
    if n < 2:
        return math.nan
    return float(stats.t.ppf(0.5 + confidence / 2, n - 1) * std / math.sqrt(n))


def summarize(values: Sequence[float], confidence: float = 0.95) -> Summary:
    """n, mean, sample std (ddof=1) and t-interval half-width of ``values``."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f'need a non-empty 1-D sequence, got shape {x.shape}')
    n = int(x.size)
    std = float(x.std(ddof=1)) if n > 1 else math.nan
    return Summary(n, float(x.mean()), std, t_half_width(std, n, confidence))


def paired_difference(values: Mapping[int, float],
                      reference: Mapping[int, float],
                      confidence: float = 0.95) -> Summary:
    """:func:`summarize` of ``values[s] − reference[s]`` over the seeds ``s``
    both mappings (seed -> value) hold."""
    seeds = sorted(set(values) & set(reference))
    if not seeds:
        raise ValueError(f'no seed in common: {sorted(values)} vs '
                         f'{sorted(reference)}')
    return summarize([values[s] - reference[s] for s in seeds], confidence)


def verdict(difference: Summary, direction: str) -> str:
    """``'better'`` / ``'worse'`` when the interval of a difference (method −
    reference) excludes 0 on the good / bad side of a metric where
    ``direction`` (``'higher'`` or ``'lower'``) is better; ``'~'`` when it
    holds 0; ``''`` without an interval (one seed)."""
    if direction not in DIRECTIONS:
        raise ValueError(f'direction must be one of {DIRECTIONS}, got '
                         f'{direction!r}')
    if math.isnan(difference.half_width):
        return ''
    low, high = difference.interval
    sign = 1 if low > 0 else -1 if high < 0 else 0
    if direction == 'lower':
        sign = -sign
    return {1: 'better', -1: 'worse', 0: '~'}[sign]

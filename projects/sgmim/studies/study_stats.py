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

Convergence (:func:`convergence`, MTO's measures) of a candidate against a
baseline, both transferred from checkpoints of their pre-training runs at
the common epochs ``E1 < … < E2``: per seed ``s``, with the curves piecewise
linear through those epochs (``sgmim.analysis.relative_auc``)::

    RAUC_s   = ∫ (S2_s(E) − S1_s(E1)) dE / ∫ (S1_s(E) − S1_s(E1)) dE
               (both over [E1, E2]; above 1: the candidate learns faster)
    target_s = S1_s(E2)                  (the baseline's final score)
    epochs to target: the first epoch E with S2_s(E) ≥ target_s (≤ for a
        lower-is-better metric), measured (a checkpoint epoch) and
        interpolated linearly before it; the baseline's count is E2

then the three numbers above of the RAUCs (and of the interpolated epochs
when every seed reaches its target), and the same measures of the seed-mean
curves.

    >>> s = summarize([1.0, 2.0, 3.0])
    >>> s.n, s.mean, s.std, round(s.half_width, 4)
    (3, 2.0, 1.0, 2.4841)
    >>> paired_difference({0: 2.0, 1: 3.5}, {0: 1.0, 1: 2.0}).mean
    1.25
"""
import math
from typing import Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from scipy import stats

from sgmim.analysis.relative_auc import (FlatBaselineError, epochs_to_target,
                                         rauc)

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


class Measures(NamedTuple):
    """MTO's measures of one candidate curve against one baseline curve."""
    rauc: Optional[float]     # None: the baseline does not move (0 / 0)
    target: float             # the baseline's final score S1(E2)
    reached: Optional[float]  # first measured epoch reaching it (None: not)
    crossed: Optional[float]  # the interpolated crossing (None: not)


class Convergence(NamedTuple):
    """:func:`convergence` of a candidate against a baseline."""
    epochs: List[int]             # the common checkpoint epochs, E1 … E2
    seeds: List[int]              # those measured at every epoch by both
    per_seed: Dict[int, Measures]
    rauc: Optional[Summary]       # over the seeds with a RAUC
    crossed: Optional[Summary]    # only when every seed reaches its target
    mean: Measures                # of the seed-mean curves


def curve_measures(epochs: Sequence[float], baseline: Sequence[float],
                   candidate: Sequence[float],
                   direction: str = 'higher') -> Measures:
    """RAUC and epochs to the target ``baseline[-1]`` of ``candidate``."""
    try:
        value = rauc(epochs, baseline, candidate)
    except FlatBaselineError:
        value = None
    target = float(baseline[-1])
    reached, crossed = (epochs_to_target(epochs, candidate, target, interp,
                                         direction)
                        for interp in (False, True))
    return Measures(value, target, reached, crossed)


def convergence(baseline: Mapping[int, Mapping[int, float]],
                candidate: Mapping[int, Mapping[int, float]],
                direction: str = 'higher',
                confidence: float = 0.95) -> Optional[Convergence]:
    """MTO's RAUC and epochs to target (module docstring) of ``candidate``
    against ``baseline``, curves ``{epoch: {seed: value}}``, on their common
    epochs and the seeds measured at all of them by both; None with fewer
    than 2 common epochs or no such seed."""
    if direction not in DIRECTIONS:
        raise ValueError(f'direction must be one of {DIRECTIONS}, got '
                         f'{direction!r}')
    epochs = sorted(set(baseline) & set(candidate))
    seeds = sorted(set.intersection(*(
        set(curve[e]) for e in epochs for curve in (baseline, candidate)))
        if epochs else set())
    if len(epochs) < 2 or not seeds:
        return None
    per_seed = {s: curve_measures(epochs, [baseline[e][s] for e in epochs],
                                  [candidate[e][s] for e in epochs],
                                  direction) for s in seeds}
    mean = curve_measures(
        epochs, [float(np.mean([baseline[e][s] for s in seeds]))
                 for e in epochs],
        [float(np.mean([candidate[e][s] for s in seeds])) for e in epochs],
        direction)
    raucs = [m.rauc for m in per_seed.values() if m.rauc is not None]
    crossed = [m.crossed for m in per_seed.values()]
    return Convergence(
        epochs, seeds, per_seed,
        summarize(raucs, confidence) if raucs else None,
        None if None in crossed else summarize(crossed, confidence), mean)

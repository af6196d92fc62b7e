"""Relative area under the curve (RAUC, from MTO) of two training curves.

For a baseline score curve ``S1(E)`` and a candidate ``S2(E)`` (e.g. top-1
against pre-training epoch) over ``[E1, E2]``::

    RAUC = ∫_{E1}^{E2} (S2(E) − S1(E1)) dE / ∫_{E1}^{E2} (S1(E) − S1(E1)) dE

the candidate's gain over the baseline's starting score relative to the
baseline's own gain; above 1 the candidate learns faster. The curves are
piecewise linear through the measured epochs (so the trapezoid rule is
exact for them); ``E1`` and ``E2`` that fall between two measured epochs are
interpolated linearly.

    >>> rauc([0, 10], [0., 1.], [0.5, 1.5])   # ∫(S2 − 0) = 10, ∫ S1 = 5
    2.0
"""
from typing import Optional, Sequence

import numpy as np


def _trapezoid(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)


def rauc(epochs: Sequence[float], baseline: Sequence[float],
         candidate: Sequence[float], start: Optional[float] = None,
         end: Optional[float] = None) -> float:
    """RAUC of ``candidate`` against ``baseline`` over ``[start, end]``.

    Args:
        epochs (Sequence[float]): Strictly increasing epochs at which both
            curves were measured (at least 2).
        baseline (Sequence[float]): ``S1`` at each epoch.
        candidate (Sequence[float]): ``S2`` at each epoch.
        start (float, optional): ``E1``. Defaults to the first epoch.
        end (float, optional): ``E2``. Defaults to the last epoch.

    Returns:
        float: The RAUC.

    Raises:
        ValueError: epochs not strictly increasing, fewer than 2, curves of
            another length, non-finite values, ``start ≥ end``, either
            outside the measured epochs, or a baseline whose integral is 0
            (flat from ``S1(E1)``).
    """
    arrays = {}
    for values, name in ((epochs, 'epochs'), (baseline, 'baseline'),
                         (candidate, 'candidate')):
        array = np.asarray(values, dtype=np.float64)
        if array.ndim != 1:
            raise ValueError(f'{name} must be 1-D, got shape {array.shape}')
        if not np.isfinite(array).all():
            raise ValueError(f'{name} holds non-finite values')
        arrays[name] = array
    e, s1, s2 = arrays['epochs'], arrays['baseline'], arrays['candidate']
    if e.size < 2:
        raise ValueError(f'epochs needs at least 2 values, got {e.size}')
    if not (np.diff(e) > 0).all():
        raise ValueError(f'epochs must be strictly increasing (sorted, no '
                         f'duplicates), got {e.tolist()}')
    for curve, name in ((s1, 'baseline'), (s2, 'candidate')):
        if curve.size != e.size:
            raise ValueError(f'{name} has {curve.size} values for '
                             f'{e.size} epochs')
    start = e[0] if start is None else float(start)
    end = e[-1] if end is None else float(end)
    for bound, name in ((start, 'start'), (end, 'end')):
        if not e[0] <= bound <= e[-1]:
            raise ValueError(f'{name}={bound} lies outside the measured '
                             f'epochs [{e[0]}, {e[-1]}]')
    if not start < end:
        raise ValueError(f'start must be before end, got start={start}, '
                         f'end={end}')
    inside = (e > start) & (e < end)
    grid = np.concatenate([[start], e[inside], [end]])
    s1_grid, s2_grid = np.interp(grid, e, s1), np.interp(grid, e, s2)
    origin = s1_grid[0]
    denominator = _trapezoid(grid, s1_grid - origin)
    if denominator == 0:
        raise ValueError(f'the baseline does not move from its score '
                         f'S1(E1)={origin} over [{start}, {end}] on '
                         f'average: the RAUC denominator is 0')
    return _trapezoid(grid, s2_grid - origin) / denominator

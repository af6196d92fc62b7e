"""Relative area under the curve (RAUC) and epochs to a target, from MTO,
of training curves.

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

MTO's second measure, *epochs to target*: the first epoch at which the
candidate reaches the baseline's final score ``S1(E2)`` (the paper: about
half the baseline's epochs), either the first measured epoch or the
crossing of the piecewise-linear curve::

    >>> epochs_to_target([0, 10, 20], [0., 4., 8.], 6.)
    20.0
    >>> epochs_to_target([0, 10, 20], [0., 4., 8.], 6., interpolate=True)
    15.0
"""
from typing import Dict, Optional, Sequence

import numpy as np

DIRECTIONS = ('higher', 'lower')  # which way a score is better


class FlatBaselineError(ValueError):
    """The baseline does not move from ``S1(E1)``: RAUC is 0 / 0."""


def _curves(epochs: Sequence[float], min_epochs: int,
            **curves: Sequence[float]) -> Dict[str, np.ndarray]:
    """``epochs`` and the named curves as float arrays, checked: 1-D, finite,
    at least ``min_epochs`` strictly increasing epochs, one value each."""
    arrays = {}
    for name, values in dict(epochs=epochs, **curves).items():
        array = np.asarray(values, dtype=np.float64)
        if array.ndim != 1:
            raise ValueError(f'{name} must be 1-D, got shape {array.shape}')
        if not np.isfinite(array).all():
            raise ValueError(f'{name} holds non-finite values')
        arrays[name] = array
    e = arrays['epochs']
    if e.size < min_epochs:
        raise ValueError(f'epochs needs at least {min_epochs} value'
                         f'{"s" if min_epochs > 1 else ""}, got {e.size}')
    if not (np.diff(e) > 0).all():
        raise ValueError(f'epochs must be strictly increasing (sorted, no '
                         f'duplicates), got {e.tolist()}')
    for name in curves:
        if arrays[name].size != e.size:
            raise ValueError(f'{name} has {arrays[name].size} values for '
                             f'{e.size} epochs')
    return arrays


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
            outside the measured epochs, or (``FlatBaselineError``) a
            baseline whose integral is 0 (flat from ``S1(E1)``).
    """
    arrays = _curves(epochs, 2, baseline=baseline, candidate=candidate)
    e, s1, s2 = arrays['epochs'], arrays['baseline'], arrays['candidate']
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
        raise FlatBaselineError(
            f'the baseline does not move from its score S1(E1)={origin} '
            f'over [{start}, {end}] on average: the RAUC denominator is 0')
    return _trapezoid(grid, s2_grid - origin) / denominator


def epochs_to_target(epochs: Sequence[float], curve: Sequence[float],
                     target: float, interpolate: bool = False,
                     direction: str = 'higher') -> Optional[float]:
    """The first epoch at which ``curve`` reaches ``target``.

    With ``i`` the first measured point that reaches the target
    (``curve[i] ≥ target``; ``≤`` when ``direction='lower'``), the epoch is

    * ``epochs[i]`` (the default): the first measured epoch, what a run
      evaluated at those epochs shows;
    * with ``interpolate=True``, the crossing of the piecewise-linear curve
      between the point before and ``i``::

          E* = E_{i−1} + (target − S_{i−1}) / (S_i − S_{i−1}) · (E_i − E_{i−1})

      (``epochs[0]`` when the first point already reaches the target:
      nothing is extrapolated before it).

    The epochs count from wherever the caller's do (for MTO: pre-training
    epochs from 0), and MTO's target is the baseline's final score; the
    baseline then needs its final epoch ``E2``, the ratio is ``E*/E2``.

    Args:
        epochs (Sequence[float]): Strictly increasing epochs (at least 1).
        curve (Sequence[float]): The score at each epoch.
        target (float): The score to reach.
        interpolate (bool): Interpolate between the measured epochs.
            Defaults to False.
        direction (str): ``'higher'`` (default) or ``'lower'``: which way
            the score is better.

    Returns:
        float | None: The epoch, or None when no measured point reaches the
        target.

    Raises:
        ValueError: epochs not strictly increasing or empty, a curve of
            another length, non-finite values or target, or an unknown
            ``direction``.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f'direction must be one of {DIRECTIONS}, got '
                         f'{direction!r}')
    arrays = _curves(epochs, 1, curve=curve)
    e, s = arrays['epochs'], arrays['curve']
    target = float(target)
    if not np.isfinite(target):
        raise ValueError(f'target must be finite, got {target}')
    if direction == 'lower':  # reaching a lower score: the same upside down
        s, target = -s, -target
    reached = np.flatnonzero(s >= target)
    if reached.size == 0:
        return None
    i = int(reached[0])
    if not interpolate or i == 0:
        return float(e[i])
    # s[i − 1] < target ≤ s[i], so the slope is positive
    fraction = (target - s[i - 1]) / (s[i] - s[i - 1])
    return float(e[i - 1] + fraction * (e[i] - e[i - 1]))

"""Per-image iBims-1 errors besides DBE and PE (Koch et al., official
evaluation script v0.9; REFERENCE §4): the evaluation mask, the directed
depth error (DDE) and the errors in distance bins.

The standard errors (abs_rel, sq_rel, rmse, log10, δ thresholds) are
:func:`~.depth_metric.compute_depth_metrics` on the masked maps, with no
scaling of the prediction; its ``log10`` has no ``+1e-4`` inside the logs
(the official script's ``log10(g + 1e-4)``, a relative change below 1e-4
on iBims depths).
"""
from typing import Dict, List, NamedTuple, Optional, Sequence

import numpy as np

from .depth_metric import compute_depth_metrics

__all__ = [
    'ibims_valid_mask', 'DirectedDepthErrors', 'directed_depth_errors',
    'DISTANCE_BIN_METRICS', 'distance_bin_errors'
]

#: The errors of each distance bin (the official script's three).
DISTANCE_BIN_METRICS = ('abs_rel', 'rmse', 'log10')


def ibims_valid_mask(gt, pred, mask_invalid=None,
                     mask_transp=None) -> np.ndarray:
    """``V = mask_transp ∧ mask_invalid ∧ (g ≠ 0) ∧ (p ≠ 0)``, also
    requiring finite ``g`` and ``p``. ``mask_invalid`` is 1 where the depth
    is *valid* and ``mask_transp`` 1 where the surface is *not*
    transparent (the iBims-1 convention); None means all ones.

    Returns:
        np.ndarray: bool (H, W).
    """
    gt, pred = np.asarray(gt), np.asarray(pred)
    if gt.shape != pred.shape or gt.ndim != 2:
        raise ValueError(f'gt {gt.shape} and pred {pred.shape} must be the '
                         'same (H, W)')
    valid = (gt != 0) & (pred != 0) & np.isfinite(gt) & np.isfinite(pred)
    for name, mask in (('mask_invalid', mask_invalid),
                       ('mask_transp', mask_transp)):
        if mask is None:
            continue
        mask = np.asarray(mask)
        if mask.shape != gt.shape:
            raise ValueError(f'{name} {mask.shape} and gt {gt.shape} differ '
                             'in shape')
        valid &= mask != 0
    return valid


class DirectedDepthErrors(NamedTuple):
    """Fractions of the evaluated pixels; they sum to 1."""

    correct: float  # dde_0
    too_close: float  # dde_m: predicted nearer than the threshold, gt not
    too_far: float  # dde_p: predicted beyond the threshold, gt not


def directed_depth_errors(gt, pred, valid,
                          threshold: float = 3.0
                          ) -> Optional[DirectedDepthErrors]:
    """DDE: with ``a = [g ≤ t]`` and ``b = [p ≤ t]`` over the ``n`` pixels
    of ``valid``::

        dde_0 = #{a = b} / n
        dde_m = #{b ∧ ¬a} / n      (too close)
        dde_p = #{a ∧ ¬b} / n      (too far)

    Returns None when ``valid`` is empty.
    """
    valid = np.asarray(valid, bool)
    if not valid.any():
        return None
    near_gt = np.asarray(gt)[valid] <= threshold
    near_pred = np.asarray(pred)[valid] <= threshold
    n = float(valid.sum())
    return DirectedDepthErrors(
        float((near_gt == near_pred).sum() / n),
        float((near_pred & ~near_gt).sum() / n),
        float((near_gt & ~near_pred).sum() / n))


def distance_bin_errors(gt, pred, valid, bin_edges: Sequence[float],
                        min_depth: float = 1e-6,
                        metrics: Sequence[str] = DISTANCE_BIN_METRICS
                        ) -> List[Optional[Dict[str, float]]]:
    """Errors by ground-truth distance: bin ``k`` holds the valid pixels
    with ``e_k ≤ g ≤ e_{k+1}`` (both ends inclusive, as the official
    script: a pixel on an edge counts in both bins); each bin gets
    ``metrics`` of :func:`compute_depth_metrics` on its pixels.

    Args:
        gt, pred (array): (H, W) depth maps.
        valid (array): (H, W) bool evaluation mask.
        bin_edges (sequence): Increasing edges, e.g. ``range(0, 21)`` for
            the official 1 m bins up to 20 m.
        min_depth (float): ``min_depth`` of ``compute_depth_metrics``.
        metrics (sequence): Names of ``compute_depth_metrics`` outputs.

    Returns:
        list[dict | None]: One entry per bin, None for an empty bin.
    """
    edges = [float(e) for e in bin_edges]
    if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:])):
        raise ValueError(f'bin_edges: expected >= 2 increasing values, got '
                         f'{list(bin_edges)!r}')
    valid = np.asarray(valid, bool)
    g = np.asarray(gt, np.float64)[valid]
    p = np.asarray(pred, np.float64)[valid]
    out = []
    for low, high in zip(edges, edges[1:]):
        inside = (g >= low) & (g <= high)
        result = None
        if inside.any():
            # a (1, N) "map" of the bin's pixels
            result = compute_depth_metrics(p[inside][None], g[inside][None],
                                           min_depth=min_depth)
        out.append(None if result is None else
                   {name: result[name] for name in metrics})
    return out

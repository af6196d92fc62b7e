"""Depth boundary error (DBE) of the iBims-1 benchmark (Koch et al.).

Implementation followed: the official evaluation script v0.9
(``evaluate_ibims_error_metrics.py``, ``compute_depth_boundary_error``), as
recorded in REFERENCE §4. With ``E_p`` the predicted edges (Canny on the
prediction normalised to [0, 1], σ = √2, hysteresis thresholds 0.15 / 0.3),
``E_g`` the ground-truth edges, ``D_g`` / ``D_p`` the Euclidean distance
transforms (pixels) to the nearest ground-truth / predicted edge pixel and
``θ`` the neighbourhood (10 px)::

    P_θ   = {p ∈ E_p : D_g(p) < θ}
    acc   = Σ_{p ∈ P_θ} D_g(p) / |P_θ|
    comp  = [Σ_{p ∈ E_p} min(D_g(p), θ) + Σ_{q ∈ E_g} min(D_p(q), θ)]
            / (|E_p| + |E_g|)
    acc = comp = θ                                   when P_θ = ∅

so both lie in ``[0, θ]``. Other implementations report completeness as
the untruncated directed chamfer distance ``mean_{q ∈ E_g} D_p(q)`` (the
paper's first definition; MeSa's 30.05 px, beyond θ, is of that kind);
this module does not.

Canny is scikit-image's ``feature.canny`` (the one the official script
calls; kornia's Canny differs in smoothing and thresholds), distance
transforms scipy's ``ndimage.distance_transform_edt``.
"""
import math
from typing import NamedTuple, Optional

import numpy as np
from scipy import ndimage

__all__ = [
    'DBE_SIGMA', 'DBE_THRESHOLDS', 'DBE_MAX_DISTANCE', 'DepthBoundaryErrors',
    'normalize_for_edges', 'predicted_depth_edges', 'edge_distance_errors',
    'depth_boundary_errors'
]

DBE_SIGMA = math.sqrt(2.0)
DBE_THRESHOLDS = (0.15, 0.3)
DBE_MAX_DISTANCE = 10.0


class DepthBoundaryErrors(NamedTuple):
    """``acc`` and ``comp`` in pixels, both in ``[0, max_distance]``."""

    acc: float
    comp: float


def _as_2d(array, name: str) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim != 2:
        raise ValueError(f'{name}: expected an (H, W) map, got shape '
                         f'{array.shape}')
    return array


def normalize_for_edges(pred) -> np.ndarray:
    """Prediction rescaled to [0, 1] over its usable pixels.

    ``p̂ = (p − min p) / (max p − min p)`` with min and max over the finite,
    non-zero pixels (the official script sets 0 to NaN first). Pixels that
    are 0 or not finite get 0; a constant (or empty) prediction maps to all
    zeros (no edges) instead of the official ``0 / 0``.

    Args:
        pred (array): (H, W) predicted depth.

    Returns:
        np.ndarray: float64 (H, W) in [0, 1].
    """
    pred = _as_2d(pred, 'pred').astype(np.float64)
    usable = np.isfinite(pred) & (pred != 0)
    out = np.zeros(pred.shape)
    if not usable.any():
        return out
    low, high = pred[usable].min(), pred[usable].max()
    if high > low:
        out[usable] = (pred[usable] - low) / (high - low)
    return out


def predicted_depth_edges(pred,
                          sigma: float = DBE_SIGMA,
                          thresholds=DBE_THRESHOLDS) -> np.ndarray:
    """Edges of a depth prediction: skimage Canny of
    :func:`normalize_for_edges` ``(pred)`` with ``sigma`` and the
    ``(low, high)`` hysteresis ``thresholds`` on the gradient magnitude.

    Where some pixels are 0 or not finite they are given to Canny as its
    ``mask`` (smoothing ignores them, no edge on or next to them); the
    official script lets their NaN blank out a neighbourhood instead. With
    every pixel usable (network outputs) both are the same call.

    Returns:
        np.ndarray: bool (H, W).
    """
    try:  # imported here: only DBE needs scikit-image
        from skimage import feature
    except ImportError as error:
        raise ImportError(
            'the iBims-1 depth boundary error needs scikit-image '
            '(requirements/runtime.txt; pinned in constraints.txt)'
        ) from error
    pred = _as_2d(pred, 'pred')
    low, high = thresholds
    usable = np.isfinite(pred) & (pred != 0)
    mask = None if usable.all() else usable
    return feature.canny(normalize_for_edges(pred), sigma=sigma,
                         low_threshold=low, high_threshold=high, mask=mask)


def edge_distance_errors(edges_gt, edges_pred,
                         max_distance: float = DBE_MAX_DISTANCE
                         ) -> Optional[DepthBoundaryErrors]:
    """``acc`` and ``comp`` of two edge maps (formulas in the module
    docstring); None when ``edges_gt`` has no edge (the official NaN: the
    image does not count).

    Args:
        edges_gt (array): (H, W) ground-truth edges, non-zero = edge.
        edges_pred (array): (H, W) predicted edges, non-zero = edge.
        max_distance (float): θ in pixels. Defaults to 10.

    Returns:
        DepthBoundaryErrors | None
    """
    edges_gt = _as_2d(edges_gt, 'edges_gt') != 0
    edges_pred = _as_2d(edges_pred, 'edges_pred') != 0
    if edges_gt.shape != edges_pred.shape:
        raise ValueError(f'edges_gt {edges_gt.shape} and edges_pred '
                         f'{edges_pred.shape} differ in shape')
    if not max_distance > 0:
        raise ValueError(f'max_distance must be > 0, got {max_distance}')
    if not edges_gt.any():
        return None
    theta = float(max_distance)
    dist_to_gt = ndimage.distance_transform_edt(~edges_gt)
    near = edges_pred & (dist_to_gt < theta)
    if not near.any():
        return DepthBoundaryErrors(theta, theta)
    dist_to_pred = ndimage.distance_transform_edt(~edges_pred)
    acc = dist_to_gt[near].mean()
    total = (np.minimum(dist_to_gt[edges_pred], theta).sum() +
             np.minimum(dist_to_pred[edges_gt], theta).sum())
    comp = total / (edges_pred.sum() + edges_gt.sum())
    return DepthBoundaryErrors(float(acc), float(comp))


def depth_boundary_errors(edges_gt, pred,
                          max_distance: float = DBE_MAX_DISTANCE,
                          sigma: float = DBE_SIGMA,
                          thresholds=DBE_THRESHOLDS
                          ) -> Optional[DepthBoundaryErrors]:
    """DBE of one image: :func:`edge_distance_errors` of the ground-truth
    edges and :func:`predicted_depth_edges` ``(pred)``. ``pred`` is the
    whole prediction, not masked by the evaluation mask (as the official
    script).

    Example:
        >>> pred = np.ones((40, 40)); pred[:, 20] = 2.0; pred[:, 21:] = 3.0
        >>> gt = predicted_depth_edges(pred)  # column 20, rows 1..38
        >>> errors = depth_boundary_errors(np.roll(gt, 2, axis=1), pred)
        >>> round(errors.acc, 6), round(errors.comp, 6)
        (2.0, 2.0)
    """
    pred = _as_2d(pred, 'pred')
    edges_gt = _as_2d(edges_gt, 'edges_gt')
    if pred.shape != edges_gt.shape:
        raise ValueError(f'edges_gt {edges_gt.shape} and pred {pred.shape} '
                         'differ in shape')
    if not np.any(edges_gt):
        return None
    return edge_distance_errors(
        edges_gt, predicted_depth_edges(pred, sigma, thresholds),
        max_distance)

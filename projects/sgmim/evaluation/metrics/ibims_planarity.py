"""Planarity errors (PE) of the iBims-1 benchmark (Koch et al.).

Implementation followed: the official evaluation script v0.9
(``compute_planarity_error``; REFERENCE §4). A plane type (wall, table,
floor) has a label map ``L`` (plane ``j`` = pixels with ``L = j``, 1-based)
and one ground-truth normal ``n_j`` per plane (columns 4:7 of its row of
``mask_<type>_paras``). For plane ``j`` on the evaluated pixels ``V``
(``M_j = V ∧ (L = j)``), if ``|M_j| ≥ 5 % · H·W``:

1. median scaling: ``p' = p · median_{M_j}(g) / median_{M_j}(p)``;
2. back-projection in the iBims frame (x right, y forward, z up) with the
   1-based pixel coordinates ``(u, v) = (column + 1, row + 1)`` of the
   official script and ``calib = (fx, fy, cx, cy)``::

       X = ((u − cx) · p' / fx,  p',  −(v − cy) · p' / fy)

3. PCA plane fit of the points ``X_i``: ``μ = mean X_i``, ``n̂`` the
   eigenvector of the smallest eigenvalue of ``Σ = mean (X_i − μ)(X_i −
   μ)ᵀ``;
4. ``PE_plan = 100 · std_i(n̂ · (X_i − μ))`` (cm, population std) and,
   with ``n̂`` flipped so that ``n̂ · n_j ≥ 0``,
   ``PE_orient = atan2(|n_j × n̂|, n_j · n̂)`` in degrees.

The benchmark averages both over all planes of all images. The official
script compares ``|M_j|`` with 5 % of 640 × 480 (the iBims frame) whatever
the image size; here the fraction is of the image's own ``H·W`` (the same
on iBims-1, and meaningful on smaller SynthScenes images). The PCA is a
3 × 3 ``numpy.linalg.eigh`` (the official script uses scikit-learn's
``PCA``, the same fit; scikit-learn is not a dependency).
"""
import math
from typing import List, NamedTuple, Optional, Sequence

import numpy as np

__all__ = [
    'PlaneError', 'back_project_ibims', 'fit_plane', 'plane_errors',
    'planarity_errors'
]


class PlaneError(NamedTuple):
    """``plan`` in cm, ``orient`` in degrees."""

    plan: float
    orient: float


def _calib(calib) -> tuple:
    values = tuple(float(c) for c in calib)
    if len(values) != 4 or not all(math.isfinite(c) for c in values):
        raise ValueError(f'calib: expected (fx, fy, cx, cy), got {calib!r}')
    if values[0] <= 0 or values[1] <= 0:
        raise ValueError(f'calib: focal lengths must be > 0, got {calib!r}')
    return values


def back_project_ibims(depth, calib, mask) -> np.ndarray:
    """3-D points ``(N, 3)`` of the pixels of ``mask`` (row-major order) in
    the iBims frame: ``X = ((u − cx)·z/fx, z, −(v − cy)·z/fy)`` with
    1-based ``u = column + 1``, ``v = row + 1``.

    Args:
        depth (array): (H, W) depth z (metres).
        calib (sequence): ``(fx, fy, cx, cy)``.
        mask (array): (H, W) bool, the pixels to project.
    """
    fx, fy, cx, cy = _calib(calib)
    depth = np.asarray(depth, np.float64)
    rows, cols = np.nonzero(mask)
    z = depth[rows, cols]
    return np.stack([(cols + 1 - cx) * z / fx, z, -(rows + 1 - cy) * z / fy],
                    axis=1)


def fit_plane(points) -> tuple:
    """PCA plane of ``points`` ``(N, 3)``, ``N ≥ 3``: returns
    ``(normal, centroid, residual_std)`` with the unit normal of the
    smallest eigenvalue of the population covariance and
    ``residual_std = std_i(n̂ · (X_i − μ))`` (metres)."""
    points = np.asarray(points, np.float64)
    if points.ndim != 2 or points.shape[1] != 3 or len(points) < 3:
        raise ValueError(f'fit_plane: expected (N >= 3, 3) points, got '
                         f'shape {points.shape}')
    centroid = points.mean(axis=0)
    centred = points - centroid
    _, vectors = np.linalg.eigh(centred.T @ centred / len(points))
    normal = vectors[:, 0]
    return normal, centroid, float(np.std(centred @ normal))


def plane_errors(points, normal_gt) -> PlaneError:
    """``PE_plan`` (cm) and ``PE_orient`` (degrees) of one plane's points
    against its ground-truth normal (steps 3-4 of the module docstring)."""
    normal_gt = np.asarray(normal_gt, np.float64).reshape(-1)
    if normal_gt.shape != (3, ) or not np.all(np.isfinite(normal_gt)) or \
            not np.linalg.norm(normal_gt) > 0:
        raise ValueError(f'normal_gt: expected a finite non-zero 3-vector, '
                         f'got {normal_gt!r}')
    normal, _, residual = fit_plane(points)
    if normal @ normal_gt < 0:
        normal = -normal
    angle = math.atan2(np.linalg.norm(np.cross(normal_gt, normal)),
                       normal_gt @ normal)
    return PlaneError(100.0 * residual, math.degrees(angle))


def planarity_errors(gt, pred, labels, normals: Sequence, calib,
                     valid=None, min_fraction: float = 0.05
                     ) -> List[Optional[PlaneError]]:
    """PE of every plane of one plane type of one image.

    Args:
        gt (array): (H, W) ground-truth depth, 0 = no measurement.
        pred (array): (H, W) predicted depth.
        labels (array): (H, W) plane labels, plane ``j`` (0-based index
            into ``normals``) is ``labels == j + 1``; 0 = no plane.
        normals (sequence): ``(n, 3)`` ground-truth normals (iBims frame).
        calib (sequence): ``(fx, fy, cx, cy)``.
        valid (array, optional): (H, W) bool evaluation mask; pixels with
            ``gt ≤ 0``, ``pred ≤ 0`` (the official script drops 0; a
            negative depth cannot be back-projected) or a non-finite value
            are dropped from it in any case. Defaults to None (all pixels).
        min_fraction (float): Smallest plane kept, as a fraction of
            ``H·W``. Defaults to 0.05.

    Returns:
        list[PlaneError | None]: One entry per plane, None for a plane
        below ``min_fraction`` (the official NaN, not averaged).
    """
    gt = np.asarray(gt, np.float64)
    pred = np.asarray(pred, np.float64)
    labels = np.asarray(labels)
    if not gt.shape == pred.shape == labels.shape or gt.ndim != 2:
        raise ValueError(f'planarity_errors: gt {gt.shape}, pred '
                         f'{pred.shape} and labels {labels.shape} must be '
                         'the same (H, W)')
    normals = np.asarray(normals, np.float64).reshape(-1, 3) \
        if len(normals) else np.zeros((0, 3))
    usable = np.isfinite(gt) & np.isfinite(pred) & (gt > 0) & (pred > 0)
    if valid is not None:
        valid = np.asarray(valid, bool)
        if valid.shape != gt.shape:
            raise ValueError(f'planarity_errors: valid {valid.shape} and gt '
                             f'{gt.shape} differ in shape')
        usable &= valid
    min_pixels = min_fraction * gt.size
    errors = []
    for j, normal_gt in enumerate(normals):
        plane = usable & (labels == j + 1)
        count = int(plane.sum())
        if count < max(min_pixels, 3):
            errors.append(None)
            continue
        scale = np.median(gt[plane]) / np.median(pred[plane])
        points = back_project_ibims(pred * scale, calib, plane)
        errors.append(plane_errors(points, normal_gt))
    return errors

"""Inverse warping of a reference frame into the target view with the
target depth and the relative pose (SC-Depth, REFERENCE.md §4).

For a target pixel ``p = (u, v)`` with depth ``D_t(p)``::

    X   = D_t(p) · K⁻¹ [u, v, 1]ᵀ            back-projection (kornia)
    X'  = R X + t                            pose: target → reference frame
    z   = X'_z                               the projected depth
    p'  = (K X')_{x, y} / (z + 1e-7)         pixel in the reference image
    I'(p) = bilinear(I_ref, p'),  D'(p) = bilinear(D_ref, p')   zero padding

Pixel convention (one, used throughout): pixel ``(u, v)`` is the *centre*
of column u, row v, so the image spans ``[−0.5, W − 0.5]`` and the
principal point of a centred camera is ``((W − 1) / 2, (H − 1) / 2)`` —
kornia's, OpenCV's and SynthScenes' convention. Coordinates are normalised
by ``2u / (W − 1) − 1`` (kornia's ``normalize_pixel_coordinates``) and
sampled with ``grid_sample(align_corners=True)``, under which −1 and +1 are
the centres of the first and last pixels: the identity pose gives back the
reference image exactly. (SC-Depth's code normalises by ``W − 1`` but samples
with ``align_corners=False``, which scales the image by ``W / (W − 1)``
about its centre.)

Valid pixels are those in front of the reference camera (``z > 0``) whose
sample point lies inside the image (``0 ≤ u' ≤ W − 1``, ``0 ≤ v' ≤ H − 1``,
up to 1e-3 px for rounding).
Points behind the camera are sent outside the image before sampling (their
warped colour and sampled depth are 0) and divide by a safe denominator, so
neither the outputs nor their gradients are ever NaN.
"""
from typing import NamedTuple, Optional

import torch
import torch.nn.functional as F
from kornia.geometry.conversions import normalize_pixel_coordinates
from kornia.geometry.depth import depth_to_3d_v2
from torch import Tensor

from .pose import as_pose_matrix, euler_to_rotation_matrix

#: Added to z before the perspective division (SC-Depth's constant).
PROJECTION_EPS = 1e-7
#: Normalised coordinate given to invalid points: outside [−1, 1] by more
#: than the bilinear footprint, so zero padding returns exactly 0.
_OUTSIDE = -2.0
_LIMIT = 4.0
#: Tolerance (pixels) of the inside test, for rounding at the border pixels.
_SLACK = 1e-3


class WarpResult(NamedTuple):
    """Outputs of :func:`inverse_warp`, each in the target view.

    Attributes:
        warped (Tensor): (B, C, H, W) reference image sampled at ``p'``.
        sampled_depth (Tensor | None): (B, 1, H, W) reference depth sampled
            at ``p'`` (``z_ref``); None when no reference depth was given.
        projected_depth (Tensor): (B, 1, H, W) ``z`` of the transformed
            target point (``z_proj``); ≤ 0 where the point is behind the
            reference camera.
        valid (Tensor): (B, 1, H, W) bool, in front of the camera and
            sampled inside the image.
    """

    warped: Tensor
    sampled_depth: Optional[Tensor]
    projected_depth: Tensor
    valid: Tensor


def _check_map(name: str, value: Tensor, batch: int, size: tuple,
               channels: Optional[int] = None) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f'inverse_warp: {name} must be a Tensor, got '
                        f'{type(value)}')
    if value.dim() != 4 or value.shape[0] != batch or \
            tuple(value.shape[2:]) != size or \
            (channels is not None and value.shape[1] != channels):
        want = f'({batch}, {channels or "C"}, {size[0]}, {size[1]})'
        raise ValueError(f'inverse_warp: {name} must have shape {want}, got '
                         f'{tuple(value.shape)}')


def _check_intrinsics(K: Tensor, batch: int) -> Tensor:
    if not isinstance(K, Tensor):
        raise TypeError(f'inverse_warp: intrinsics must be a Tensor, got '
                        f'{type(K)}')
    if K.dim() != 3 or tuple(K.shape) not in ((batch, 3, 3), (1, 3, 3)):
        raise ValueError(f'inverse_warp: intrinsics must have shape '
                         f'({batch}, 3, 3), got {tuple(K.shape)}')
    return K.expand(batch, 3, 3)


def _project(tgt_depth: Tensor, rotation: Tensor, translation: Tensor,
             K: Tensor):
    """Sampling grid (B, H, W, 2), z (B, 1, H, W) and validity of the
    target pixels under ``X ↦ R X + t`` (module docstring)."""
    B, _, H, W = tgt_depth.shape
    points = depth_to_3d_v2(tgt_depth[:, 0], K)  # (B, H, W, 3)
    points = torch.einsum('bij,bhwj->bhwi', rotation, points) + \
        translation[:, None, None, :]
    pixels = torch.einsum('bij,bhwj->bhwi', K, points)
    z = pixels[..., 2:]
    in_front = z > 0
    # The safe denominator keeps the values and gradients of points behind
    # the camera finite; those points are masked and sent outside below.
    uv = pixels[..., :2] / (torch.where(in_front, z, torch.ones_like(z)) +
                            PROJECTION_EPS)
    low, high = -_SLACK, uv.new_tensor([W - 1, H - 1]) + _SLACK
    inside = ((uv >= low) & (uv <= high)).all(dim=-1, keepdim=True)
    # Clamped so far-away points (tiny z) stay far outside, never inf.
    grid = normalize_pixel_coordinates(uv, H, W).clamp(-_LIMIT, _LIMIT)
    grid = torch.where(in_front, grid, torch.full_like(grid, _OUTSIDE))
    valid = (in_front & inside).permute(0, 3, 1, 2)
    return grid, z.permute(0, 3, 1, 2), valid


def _sample(image: Tensor, grid: Tensor) -> Tensor:
    return F.grid_sample(image, grid, mode='bilinear', padding_mode='zeros',
                         align_corners=True)


def inverse_warp(ref_img: Tensor, tgt_depth: Tensor,
                 ref_depth: Optional[Tensor], pose: Tensor,
                 intrinsics: Tensor) -> WarpResult:
    """Warp ``ref_img`` (and ``ref_depth``) into the target view:
    ``I'(p) = I_ref(π(K (R D_t(p) K⁻¹ p̃ + t)))`` (module docstring).

    Args:
        ref_img (Tensor): (B, C, H, W) reference image (where to sample).
        tgt_depth (Tensor): (B, 1, H, W) target depth (z along the optical
            axis).
        ref_depth (Tensor, optional): (B, 1, H, W) reference depth, sampled
            like the image; None skips it.
        pose (Tensor): target → reference transform ``X_ref = R X_tgt + t``,
            a (B, 6) vector ``[t, r]`` (Euler angles, ``R = Rx·Ry·Rz``, see
            :mod:`.pose`) or a (B, 3, 4) / (B, 4, 4) matrix.
        intrinsics (Tensor): (B, 3, 3) or (1, 3, 3) camera matrix K, shared
            by both frames.

    Returns:
        WarpResult: ``warped``, ``sampled_depth``, ``projected_depth``,
        ``valid``.

    Example:
        >>> img, depth = torch.rand(1, 3, 8, 8), torch.ones(1, 1, 8, 8)
        >>> K = torch.tensor([[[8., 0, 3.5], [0, 8., 3.5], [0, 0, 1]]])
        >>> out = inverse_warp(img, depth, depth, torch.zeros(1, 6), K)
        >>> torch.allclose(out.warped, img, atol=1e-5)
        True
    """
    if not isinstance(ref_img, Tensor) or ref_img.dim() != 4:
        raise ValueError(f'inverse_warp: ref_img must be a (B, C, H, W) '
                         f'Tensor, got {getattr(ref_img, "shape", ref_img)}')
    B, _, H, W = ref_img.shape
    _check_map('tgt_depth', tgt_depth, B, (H, W), channels=1)
    if ref_depth is not None:
        _check_map('ref_depth', ref_depth, B, (H, W), channels=1)
    K = _check_intrinsics(intrinsics, B).to(tgt_depth.dtype)
    matrix = as_pose_matrix(pose, 'inverse_warp: pose')
    if matrix.shape[0] != B:
        raise ValueError(f'inverse_warp: pose has batch {matrix.shape[0]}, '
                         f'the images {B}')
    matrix = matrix.to(tgt_depth.dtype)
    grid, z, valid = _project(tgt_depth, matrix[:, :, :3], matrix[:, :, 3],
                              K)
    grid = grid.to(ref_img.dtype)
    sampled = None if ref_depth is None else _sample(ref_depth, grid)
    return WarpResult(_sample(ref_img, grid), sampled, z, valid)


def rotation_warp(img: Tensor, rotation: Tensor, intrinsics: Tensor):
    """Warp ``img`` by a pure rotation (the homography ``K R K⁻¹``, depth-
    independent): :func:`inverse_warp` with ``t = 0`` and unit depth, as
    SC-DepthV2's rectification pre-warps the reference frame.

    Args:
        img (Tensor): (B, C, H, W) image to warp.
        rotation (Tensor): (B, 3) Euler angles ``[rx, ry, rz]``
            (``R = Rx·Ry·Rz``) or (B, 3, 3) rotation matrices.
        intrinsics (Tensor): (B, 3, 3) or (1, 3, 3) camera matrix.

    Returns:
        tuple[Tensor, Tensor]: warped image (B, C, H, W) and validity
        (B, 1, H, W) bool.
    """
    if not isinstance(rotation, Tensor):
        raise TypeError(f'rotation_warp: rotation must be a Tensor, got '
                        f'{type(rotation)}')
    if rotation.dim() == 3 and tuple(rotation.shape[1:]) == (3, 3):
        matrix = rotation
    elif rotation.dim() == 2 and rotation.shape[1] == 3:
        matrix = euler_to_rotation_matrix(rotation)
    else:
        raise ValueError(f'rotation_warp: rotation must be (B, 3) Euler '
                         f'angles or (B, 3, 3) matrices, got '
                         f'{tuple(rotation.shape)}')
    if not isinstance(img, Tensor) or img.dim() != 4:
        raise ValueError(f'rotation_warp: img must be a (B, C, H, W) '
                         f'Tensor, got {getattr(img, "shape", img)}')
    B, _, H, W = img.shape
    pose = torch.cat([matrix, matrix.new_zeros(matrix.shape[0], 3, 1)], 2)
    out = inverse_warp(img, img.new_ones(B, 1, H, W), None, pose, intrinsics)
    return out.warped, out.valid

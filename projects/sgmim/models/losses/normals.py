"""Surface normals from depth and SC-DepthV3's normal-matching term
(REFERENCE.md §4, "Supervised").

Normals come from kornia's ``depth_to_normals`` (the function SC-DepthV3
itself calls): with ``X(u, v) = z(u, v) · K⁻¹ [u, v, 1]ᵀ`` the camera-frame
point of pixel (column u, row v),

    n = (∂X/∂u × ∂X/∂v) / ‖∂X/∂u × ∂X/∂v‖

with the derivatives from kornia's normalised 3×3 Sobel (replicated border).
Sign convention: ``det[X_u, X_v, X] = z³ / (f_x f_y) > 0``, so every normal
satisfies ``n · X > 0``: it points *away from the camera*, along the viewing
ray's side. A fronto-parallel plane gets (0, 0, 1); a plane ``n · X = d``
with ``d > 0`` gets ``+n``. On a plane the Sobel tangents are sums of
differences of points of the plane, so the result is the plane's normal
exactly (up to rounding), border pixels included. A zero-depth pixel
(all-zero tangents) gets the zero vector, without NaN in value or gradient.
"""
from kornia.geometry.depth import depth_to_normals
from torch import Tensor

from .dense_checks import check_map


def surface_normals(depth: Tensor, intrinsics: Tensor) -> Tensor:
    """Unit normals ``n = normalize(∂X/∂u × ∂X/∂v)`` (module docstring;
    kornia ``depth_to_normals``), ``n · X > 0``.

    Args:
        depth (Tensor): (B, 1, H, W) camera-frame z, H, W ≥ 2.
        intrinsics (Tensor): (B, 3, 3) pinhole matrices K.

    Returns:
        Tensor: (B, 3, H, W) in ``depth``'s dtype (float32 for half inputs).

    Raises:
        TypeError, ValueError: Shapes other than the above.
    """
    check_map('surface_normals', 'depth', depth, channels=1)
    if depth.shape[2] < 2 or depth.shape[3] < 2:
        raise ValueError(f'surface_normals: depth needs H, W >= 2 for two '
                         f'tangents, got shape {tuple(depth.shape)}')
    if (not isinstance(intrinsics, Tensor)
            or tuple(intrinsics.shape) != (depth.shape[0], 3, 3)):
        raise ValueError(
            f'surface_normals: intrinsics must be ({depth.shape[0]}, 3, 3) '
            f'for depth of shape {tuple(depth.shape)}, got '
            + (f'shape {tuple(intrinsics.shape)}'
               if isinstance(intrinsics, Tensor)
               else type(intrinsics).__name__))
    return depth_to_normals(depth, intrinsics.to(depth.dtype))


def normal_matching_loss(pred_normals: Tensor,
                         pseudo_normals: Tensor) -> Tensor:
    """``L_n = mean_{b,c,h,w} |n_pred − n_pseudo|``.

    The mean runs over the three components too, as SC-DepthV3's
    ``(n − n').abs().mean()``: one third of the per-pixel L1 distance
    averaged over pixels. ``pseudo_normals`` is a target (detached).

    Args:
        pred_normals (Tensor): (B, 3, H, W) normals of the predicted depth.
        pseudo_normals (Tensor): (B, 3, H, W) normals of the pseudo-depth.

    Returns:
        Tensor: Scalar.
    """
    check_map('normal_matching_loss', 'pred_normals', pred_normals, 3)
    check_map('normal_matching_loss', 'pseudo_normals', pseudo_normals, 3,
              like=pred_normals, like_name='pred_normals')
    return (pred_normals.float()
            - pseudo_normals.detach().float()).abs().mean()


__all__ = ['surface_normals', 'normal_matching_loss']

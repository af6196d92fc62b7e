"""SC-DepthV2's photometric and geometry-consistency losses over the
frames of a snippet (REFERENCE.md §4, MeSa's geometric stage).

For the target frame t and each reference frame r, both directions are
warped (:func:`sgmim.models.geometry.inverse_warp`): r into t with the
pose t → r and t's depth, and t into r with the pose r → t and r's depth.
Each direction gives, per pixel of the frame warped into::

    photo  = mean_c [0.15 · clamp(|I − I'|, 0, 1)
                     + 0.85 · clamp((1 − SSIM(I, I')) / 2, 0, 1)]
             · (1 − D_diff)          self-discovered mask (detached)
    color  = mean_c |I − I'|          L1 colour error
    D_diff = |z_proj − z_ref| / (z_proj + z_ref)
    mask   = valid_warp · [mean_c |I'| > 1e-3] · [mean_c |I| > 1e-3]
             · [color < mean_c |I − I_r|]     auto-mask (vs the unwarped frame)

with SSIM the 7×7 box SSIM (:func:`.ssim.box_ssim`) on the images as fed to
the networks (SC-Depth: normalised). Over the 2·N_ref maps of a snippet the
per-pixel argmin of ``color`` selects ``photo``, ``D_diff`` and ``mask``
(as in SC-Depth, the maps of the reverse direction lie on the reference
frame's pixel grid and are compared at the same pixel index), and::

    L_photo = ⟨photo⟩_mask,  L_geometry = ⟨D_diff⟩_mask,
    L_smooth = edge-aware smoothness of the target depth (.smoothness)

with ``⟨v⟩_m = Σ v·m / Σ m`` over the batch, a defined 0 when ``Σ m ≤ 100``.
Weights: photo 1, geometry 0.1, smooth 0.1.

Departures from SC-Depth's code, all at degenerate pixels: ``valid_warp``
(:class:`~sgmim.models.geometry.WarpResult`) also drops points behind the
reference camera and samples beyond the outer pixel centres (where zero
padding blends black into the colour); ``D_diff`` is 1 where a depth is
≤ 0 (behind the camera, or sampled from the zero padding) instead of a
possibly negative or 0/0 ratio; and the warp samples with one consistent
pixel convention (``align_corners=True``, see
:mod:`sgmim.models.geometry.inverse_warp`) where SC-Depth mixes two. The
loss is otherwise the reference's.
"""
from numbers import Real
from typing import Dict, NamedTuple, Sequence, Tuple

import torch
from torch import Tensor, nn

from mmpretrain.registry import MODELS
from sgmim.models.geometry import inverse_warp
from .smoothness import edge_aware_smoothness
from .ssim import box_ssim

L1_WEIGHT, SSIM_WEIGHT = 0.15, 0.85
#: Images whose mean |value| over channels is at most this are invalid.
VALID_THRESHOLD = 1e-3
#: A masked mean over at most this many pixels is 0.
MIN_PIXELS = 100


def photometric_error(image: Tensor, warped: Tensor,
                      use_ssim: bool = True) -> Tensor:
    """``mean_c [0.15 clamp(|I − I'|, 0, 1) + 0.85 clamp((1 − SSIM) / 2,
    0, 1)]`` with the 7×7 box SSIM; ``mean_c clamp(|I − I'|, 0, 1)`` when
    ``use_ssim`` is False (SC-Depth's ``no_ssim``).

    Args:
        image, warped (Tensor): (B, C, H, W).

    Returns:
        Tensor: (B, 1, H, W).
    """
    error = (image - warped).abs().clamp(0, 1)
    if use_ssim:
        dissimilarity = ((1 - box_ssim(image, warped)) / 2).clamp(0, 1)
        error = L1_WEIGHT * error + SSIM_WEIGHT * dissimilarity
    return error.mean(dim=1, keepdim=True)


def geometry_inconsistency(projected_depth: Tensor,
                           sampled_depth: Tensor) -> Tensor:
    """``D_diff = |z_proj − z_ref| / (z_proj + z_ref)`` where both depths
    are positive, 1 (fully inconsistent) elsewhere; in [0, 1), never NaN
    (nor its gradient).

    Args:
        projected_depth (Tensor): ``z_proj``, z of the transformed points.
        sampled_depth (Tensor): ``z_ref``, the other frame's depth sampled
            at their projections.
    """
    defined = (projected_depth > 0) & (sampled_depth > 0)
    total = torch.where(defined, projected_depth + sampled_depth,
                        torch.ones_like(projected_depth))
    ratio = (projected_depth - sampled_depth).abs() / total
    return torch.where(defined, ratio, torch.ones_like(ratio))


def masked_mean(values: Tensor, mask: Tensor,
                min_pixels: int = MIN_PIXELS) -> Tensor:
    """``Σ v·m / Σ m`` over all elements (``mask`` broadcast to
    ``values``), and 0 (connected to the graph, zero gradient) when
    ``Σ m ≤ min_pixels``."""
    mask = mask.to(values.dtype).expand_as(values)
    count = mask.sum()
    if count <= min_pixels:
        return values.sum() * 0
    return (values * mask).sum() / count


class PairTerms(NamedTuple):
    """Per-pixel terms of one warping direction, each (B, 1, H, W):
    ``photo`` (self-discovered-masked when on), ``color`` (L1 colour
    error), ``geometry`` (``D_diff``) and ``mask`` (float 0/1)."""

    photo: Tensor
    color: Tensor
    geometry: Tensor
    mask: Tensor


def pair_terms(tgt_img: Tensor, ref_img: Tensor, tgt_depth: Tensor,
               ref_depth: Tensor, pose: Tensor, intrinsics: Tensor,
               auto_mask: bool = True, self_discovered_mask: bool = True,
               use_ssim: bool = True) -> PairTerms:
    """Warp ``ref_img`` into the target view with ``tgt_depth`` and
    ``pose`` (target → reference) and return the module docstring's
    ``photo``, ``color``, ``D_diff`` and ``mask``.

    Args:
        tgt_img, ref_img (Tensor): (B, C, H, W).
        tgt_depth, ref_depth (Tensor): (B, 1, H, W).
        pose (Tensor): (B, 6) ``[t, r]`` or (B, 3, 4) / (B, 4, 4).
        intrinsics (Tensor): (B, 3, 3).
        auto_mask, self_discovered_mask, use_ssim (bool): The reference's
            switches, all on by default.
    """
    if not isinstance(tgt_img, Tensor) or not isinstance(ref_img, Tensor) \
            or tgt_img.shape != ref_img.shape:
        raise ValueError(f'pair_terms: target and reference images must be '
                         f'Tensors of one shape, got '
                         f'{tuple(getattr(tgt_img, "shape", ()))} and '
                         f'{tuple(getattr(ref_img, "shape", ()))}')
    warp = inverse_warp(ref_img, tgt_depth, ref_depth, pose, intrinsics)
    geometry = geometry_inconsistency(warp.projected_depth,
                                      warp.sampled_depth)
    color = (tgt_img - warp.warped).abs().mean(dim=1, keepdim=True)
    mask = (warp.valid &
            (warp.warped.abs().mean(dim=1, keepdim=True) > VALID_THRESHOLD)
            & (tgt_img.abs().mean(dim=1, keepdim=True) > VALID_THRESHOLD))
    if auto_mask:
        identity = (tgt_img - ref_img).abs().mean(dim=1, keepdim=True)
        mask = mask & (color < identity)
    photo = photometric_error(tgt_img, warp.warped, use_ssim)
    if self_discovered_mask:
        photo = photo * (1 - geometry).detach()
    return PairTerms(photo, color, geometry, mask.to(photo.dtype))


def select_per_pixel(color: Tensor, *maps: Tensor) -> Tuple[Tensor, ...]:
    """Per pixel, the entries of ``maps`` at ``argmin_m color[:, m]``.

    Args:
        color (Tensor): (B, M, H, W) selection key (L1 colour errors).
        *maps (Tensor): (B, M, H, W) maps to select from.

    Returns:
        tuple[Tensor]: one (B, 1, H, W) map per input map.
    """
    index = color.argmin(dim=1, keepdim=True)
    for value in maps:
        if value.shape != color.shape:
            raise ValueError(f'select_per_pixel: map {tuple(value.shape)} '
                             f'differs from the key {tuple(color.shape)}')
    return tuple(value.gather(1, index) for value in maps)


def _as_list(name: str, value, single_dims: int) -> list:
    """A sequence of per-reference tensors, or one tensor whose dim 1
    indexes the references, as a list."""
    if isinstance(value, Tensor):
        if value.dim() != single_dims + 1:
            raise ValueError(
                f'PhotometricGeometryLoss: {name} as one Tensor must be '
                f'(B, N_ref, ...) with {single_dims + 1} dims, got '
                f'{tuple(value.shape)}')
        return list(value.unbind(1))
    if not isinstance(value, (list, tuple)):
        raise TypeError(f'PhotometricGeometryLoss: {name} must be a list of '
                        f'Tensors or one Tensor, got {type(value)}')
    for i, item in enumerate(value):
        if not isinstance(item, Tensor):
            raise TypeError(f'PhotometricGeometryLoss: {name}[{i}] must be '
                            f'a Tensor, got {type(item)}')
    return list(value)


def _check_frames(tgt_img, ref_imgs, tgt_depth, ref_depths) -> None:
    """Images of one (B, C, H, W) shape and (B, 1, H, W) depths."""
    if not isinstance(tgt_img, Tensor) or tgt_img.dim() != 4:
        raise ValueError(f'PhotometricGeometryLoss: tgt_img must be a '
                         f'(B, C, H, W) Tensor, got '
                         f'{getattr(tgt_img, "shape", tgt_img)}')
    B, _, H, W = tgt_img.shape
    for i, image in enumerate(ref_imgs):
        if image.shape != tgt_img.shape:
            raise ValueError(f'PhotometricGeometryLoss: ref_imgs[{i}] has '
                             f'shape {tuple(image.shape)}, tgt_img '
                             f'{tuple(tgt_img.shape)}')
    for name, depth in (('tgt_depth', tgt_depth),
                        *((f'ref_depths[{i}]', d)
                          for i, d in enumerate(ref_depths))):
        if not isinstance(depth, Tensor) or \
                tuple(depth.shape) != (B, 1, H, W):
            raise ValueError(f'PhotometricGeometryLoss: {name} must have '
                             f'shape {(B, 1, H, W)}, got '
                             f'{tuple(getattr(depth, "shape", ()))}')


def _compute_dtype(value: Tensor) -> torch.dtype:
    return torch.float32 if value.dtype in (torch.float16,
                                            torch.bfloat16) else value.dtype


@MODELS.register_module()
class PhotometricGeometryLoss(nn.Module):
    """SC-DepthV2's photometric, geometry-consistency and smoothness losses
    (module docstring).

    Args:
        photo_weight (float): Weight of ``L_photo``. Defaults to 1.
        geometry_weight (float): Weight of ``L_geometry``. Defaults to 0.1.
        smooth_weight (float): Weight of ``L_smooth``. Defaults to 0.1.
        auto_mask (bool): Drop pixels where the unwarped frame matches
            better. Defaults to True.
        self_discovered_mask (bool): Weight ``photo`` by ``1 − D_diff``
            (detached). Defaults to True.
        per_pixel_selection (bool): Keep per pixel the map of least colour
            error; False averages all 2·N_ref maps. Defaults to True.
        use_ssim (bool): The SSIM term of the photometric error. Defaults
            to True.
        min_pixels (int): Masked means over at most this many pixels are 0.
            Defaults to 100.

    Returns of :meth:`forward`: ``loss_photo``, ``loss_geometry``,
    ``loss_smooth``, each weighted (a term of weight 0 is neither computed
    nor returned: SC-DepthV3 has no smoothness). They run in float32
    outside autocast for half-precision inputs. With
    ``return_confidence=True`` also SC-DepthV3's confidence ("dynamic
    mask") of the target pixels, detached::

        c = mean over the references of (1 − D_diff(tgt → ref)),
            D_diff taken as 0 where the pair's mask is 0
    """

    def __init__(self,
                 photo_weight: float = 1.0,
                 geometry_weight: float = 0.1,
                 smooth_weight: float = 0.1,
                 auto_mask: bool = True,
                 self_discovered_mask: bool = True,
                 per_pixel_selection: bool = True,
                 use_ssim: bool = True,
                 min_pixels: int = MIN_PIXELS) -> None:
        super().__init__()
        for name, value in (('photo_weight', photo_weight),
                            ('geometry_weight', geometry_weight),
                            ('smooth_weight', smooth_weight),
                            ('min_pixels', min_pixels)):
            if not isinstance(value, Real) or isinstance(value, bool) or \
                    value < 0:
                raise ValueError(f'PhotometricGeometryLoss: {name} must be '
                                 f'a non-negative number, got {value!r}')
        self.weights = dict(photo=float(photo_weight),
                            geometry=float(geometry_weight),
                            smooth=float(smooth_weight))
        self.pair_options = dict(auto_mask=bool(auto_mask),
                                 self_discovered_mask=bool(
                                     self_discovered_mask),
                                 use_ssim=bool(use_ssim))
        self.per_pixel_selection = bool(per_pixel_selection)
        self.min_pixels = min_pixels

    def forward(self, tgt_img: Tensor, ref_imgs: Sequence[Tensor],
                tgt_depth: Tensor, ref_depths: Sequence[Tensor],
                poses: Sequence[Tensor], poses_inv: Sequence[Tensor],
                intrinsics: Tensor, return_confidence: bool = False):
        """The weighted losses (and the confidence map).

        Args:
            tgt_img (Tensor): (B, C, H, W) target frame.
            ref_imgs (Sequence[Tensor]): N_ref (B, C, H, W) reference
                frames (or one (B, N_ref, C, H, W) Tensor).
            tgt_depth (Tensor): (B, 1, H, W) target depth.
            ref_depths (Sequence[Tensor]): N_ref (B, 1, H, W) depths.
            poses (Sequence[Tensor]): N_ref target → reference poses,
                (B, 6) ``[t, r]`` or (B, 3, 4) / (B, 4, 4).
            poses_inv (Sequence[Tensor]): N_ref reference → target poses.
            intrinsics (Tensor): (B, 3, 3) camera matrix of every frame.
            return_confidence (bool): Also return the (B, 1, H, W)
                confidence (class docstring).

        Returns:
            dict | tuple[dict, Tensor]: The losses, with the confidence
            when asked for.
        """
        ref_imgs = _as_list('ref_imgs', ref_imgs, 4)
        ref_depths = _as_list('ref_depths', ref_depths, 4)
        pose_dims = 2 if isinstance(poses, Tensor) and poses.dim() == 3 \
            else 3
        poses = _as_list('poses', poses, pose_dims)
        poses_inv = _as_list('poses_inv', poses_inv, pose_dims)
        counts = dict(ref_imgs=len(ref_imgs), ref_depths=len(ref_depths),
                      poses=len(poses), poses_inv=len(poses_inv))
        if len(set(counts.values())) != 1 or not ref_imgs:
            raise ValueError(f'PhotometricGeometryLoss: needs one entry per '
                             f'reference frame (at least one) in each of '
                             f'{counts}')
        _check_frames(tgt_img, ref_imgs, tgt_depth, ref_depths)
        if not isinstance(intrinsics, Tensor):
            raise TypeError(f'PhotometricGeometryLoss: intrinsics must be a '
                            f'(B, 3, 3) Tensor, got {type(intrinsics)}')
        dtype = _compute_dtype(tgt_img)

        def cast(values):
            return [value.to(dtype) for value in values]

        with torch.autocast(tgt_img.device.type, enabled=False):
            losses, confidence = self._losses(
                tgt_img.to(dtype), cast(ref_imgs), tgt_depth.to(dtype),
                cast(ref_depths), cast(poses), cast(poses_inv),
                intrinsics.to(dtype))
        return (losses, confidence) if return_confidence else losses

    def _losses(self, tgt_img, ref_imgs, tgt_depth, ref_depths, poses,
                poses_inv, intrinsics) -> Dict[str, Tensor]:
        pairs = []
        for ref_img, ref_depth, pose, pose_inv in zip(ref_imgs, ref_depths,
                                                      poses, poses_inv):
            pairs.append(pair_terms(tgt_img, ref_img, tgt_depth, ref_depth,
                                    pose, intrinsics, **self.pair_options))
            pairs.append(pair_terms(ref_img, tgt_img, ref_depth, tgt_depth,
                                    pose_inv, intrinsics,
                                    **self.pair_options))
        forward_pairs = pairs[0::2]  # tgt -> ref, on the target's grid
        confidence = torch.stack([
            1 - pair.geometry.detach() * pair.mask for pair in forward_pairs
        ]).mean(0)
        photo, color, geometry, mask = (torch.cat(maps, dim=1)
                                        for maps in zip(*pairs))
        if self.per_pixel_selection:
            photo, geometry, mask = select_per_pixel(color, photo, geometry,
                                                     mask)
        terms = dict(
            photo=lambda: masked_mean(photo, mask, self.min_pixels),
            geometry=lambda: masked_mean(geometry, mask, self.min_pixels),
            smooth=lambda: edge_aware_smoothness(tgt_depth, tgt_img))
        losses = {f'loss_{name}': self.weights[name] * term()
                  for name, term in terms.items() if self.weights[name] > 0}
        return losses, confidence

"""SC-DepthV3's edge-aware relative normal loss (REFERENCE.md §4,
"Supervised"; checked against ``losses/normal_ranking_loss.py`` of
JiawangBian/sc_depth_pl, ``EdgeguidedNormalRankingLoss``).

Edge maps (:func:`edge_maps`), with kornia's normalised Sobel
(``spatial_gradient``, ``∂/∂col``, ``∂/∂row``):

- image: ``E_I = ‖∇I_0‖`` of channel 0 (R of an RGB image), direction
  ``θ_I = atan2(∂I_0/∂row, ∂I_0/∂col)``;
- normals: ``E_N = ‖(mean_c |∂n_c/∂col|, mean_c |∂n_c/∂row|)‖`` of the
  pseudo normals, direction the principal eigenvector of the structure
  tensor ``J = Σ_c ∇n_c ∇n_cᵀ`` (Di Zenzo), ``θ_N = ½ atan2(2 J_xy,
  J_xx − J_yy)``;
- both zeroed within ``border`` (5) px of the image border and on the
  pseudo-depth edges ``‖∇g‖ ≥ 0.1 · max‖∇g‖`` dilated by a 3×3 square
  (kornia ``morphology.dilation``); magnitudes at or below ``min_edge``
  count as no edge anywhere (flat maps, float noise).

Sampling (:func:`sample_edge_guided_pairs`), per image and edge map: the
edge pixels are those with ``E ≥ 0.1 · max E > 0``; as many anchors as
edge pixels are drawn among them with replacement; each anchor (r, c) with
direction θ gives four points ``(r + round(s_k d_k sin θ),
c + round(s_k d_k cos θ))``, ``d_k ~ randint(3, 20)`` (3…19, torch's
half-open range, as the reference), signs ``s = (−, −, +, +)``, clamped to
the image; pairs (a, b), (b, c), (c, d). Image-edge pairs and normal-edge
pairs are pooled. Loss (:func:`relative_normal_loss`) over all P pairs of
the batch::

    L = (1/P) Σ_pairs | |n̂_A · n̂_B| − |n_A · n_B| |

with n̂ the pseudo normals and n the normals of the predicted depth (the
reference's ``|target_cos − input_cos|``, absolute cosines of unit
normals). No pair (no edges) gives a defined 0 with zero gradients.

Differences from the reference, each deliberate:

- direction: the reference offsets by ``|cos θ|, |sin θ|``, which folds
  every direction into the down-right quadrant; an edge along the
  down-right diagonal (gradient up-right) is then sampled *along* the edge
  instead of across it. Here the offsets follow the signed gradient (and the
  structure tensor for normals, where ``(mean|∂x|, mean|∂y|)`` has no
  sign). ``reference_direction=True`` reproduces the folded form.
- the 5 px border is cleared on both edge maps (the reference clears 5 px
  on normal edges and 1 px on image edges), the depth-edge threshold is per
  image (the reference's ``max`` runs over the batch), and a ``min_edge``
  floor replaces ``E ≥ 0.1 · max`` on a flat map, where max = 0 makes every
  pixel an "edge" (and the reference crashes on an empty edge set).
- the reference's valid mask (``g > −1e-8``) is computed but never used;
  it is left out.
"""
from numbers import Real
from typing import Optional, Tuple

import torch
from kornia.filters import spatial_gradient
from kornia.morphology import dilation
from torch import Tensor

from .dense_checks import check_index_pair, check_map


def _folded(theta: Tensor) -> Tensor:
    """The reference's direction: ``atan2(|sin θ|, |cos θ|)`` ∈ [0, π/2]."""
    return torch.atan2(theta.sin().abs(), theta.cos().abs())


def _clear(edges: Tensor, keep: Tensor, border: int,
           min_edge: float) -> Tensor:
    """Zero ``edges`` outside ``keep``, within ``border`` px of the border
    and at or below ``min_edge``."""
    edges = torch.where(keep & (edges > min_edge), edges,
                        torch.zeros_like(edges))
    if border:
        inner = torch.zeros_like(edges, dtype=torch.bool)
        inner[..., border:-border, border:-border] = True
        edges = torch.where(inner, edges, torch.zeros_like(edges))
    return edges


@torch.no_grad()
def edge_maps(image: Tensor, pseudo_depth: Tensor, pseudo_normals: Tensor,
              border: int = 5, depth_edge_ratio: float = 0.1,
              min_edge: float = 1e-4, reference_direction: bool = False
              ) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """``(E_I, θ_I, E_N, θ_N)`` of the module docstring, each (B, 1, H, W).

    Args:
        image (Tensor): (B, C, H, W) image; channel 0 is used.
        pseudo_depth (Tensor): (B, 1, H, W) pseudo-depth g.
        pseudo_normals (Tensor): (B, 3, H, W) its normals.
        border (int): Cleared border width in px. Defaults to 5.
        depth_edge_ratio (float): Depth edges are ``‖∇g‖ ≥ ratio · max``.
            Defaults to 0.1.
        min_edge (float): Sobel magnitudes (derivative units per px) at or
            below it are no edge. Defaults to 1e-4.
        reference_direction (bool): Fold θ as the reference does. Defaults
            to False.

    Returns:
        tuple[Tensor, ...]: Edge magnitudes and directions θ (radians; the
        offset of distance d is ``(d sin θ, d cos θ)`` in (row, col)).
    """
    owner = 'edge_maps'
    check_map(owner, 'image', image)
    check_map(owner, 'pseudo_depth', pseudo_depth, 1, like=image,
              like_name='image')
    check_map(owner, 'pseudo_normals', pseudo_normals, 3, like=image,
              like_name='image')
    if not isinstance(border, int) or border < 0:
        raise ValueError(f'{owner}: border must be an int >= 0, got '
                         f'{border!r}')
    for name, value in (('depth_edge_ratio', depth_edge_ratio),
                        ('min_edge', min_edge)):
        if not isinstance(value, Real) or not value >= 0:
            raise ValueError(f'{owner}: {name} must be >= 0, got {value!r}')

    grad = spatial_gradient(image[:, :1].float())[:, 0]  # (B, 2, H, W)
    image_edges = grad.norm(dim=1, keepdim=True)
    image_theta = torch.atan2(grad[:, 1:], grad[:, :1])

    grad = spatial_gradient(pseudo_normals.float())  # (B, 3, 2, H, W)
    mean_abs = grad.abs().mean(dim=1)  # (B, 2, H, W)
    normal_edges = mean_abs.norm(dim=1, keepdim=True)
    if reference_direction:
        normal_theta = torch.atan2(mean_abs[:, 1:], mean_abs[:, :1])
        image_theta = _folded(image_theta)
    else:
        gx, gy = grad[:, :, 0], grad[:, :, 1]
        jxx = (gx * gx).sum(1, keepdim=True)
        jyy = (gy * gy).sum(1, keepdim=True)
        jxy = (gx * gy).sum(1, keepdim=True)
        normal_theta = 0.5 * torch.atan2(2 * jxy, jxx - jyy)

    depth_edges = spatial_gradient(pseudo_depth.float())[:, 0].norm(
        dim=1, keepdim=True)
    peak = depth_edges.amax(dim=(1, 2, 3), keepdim=True)
    depth_mask = ((depth_edges >= depth_edge_ratio * peak)
                  & (depth_edges > min_edge)).float()
    keep = dilation(depth_mask, torch.ones(3, 3, device=depth_mask.device)
                    ) == 0
    return (_clear(image_edges, keep, border, min_edge), image_theta,
            _clear(normal_edges, keep, border, min_edge), normal_theta)


@torch.no_grad()
def sample_edge_guided_pairs(
        edges: Tensor, theta: Tensor, edge_ratio: float = 0.1,
        min_distance: int = 3, max_distance: int = 20,
        generator: Optional[torch.Generator] = None
) -> Tuple[Tensor, Tensor]:
    """Anchors on ``edges ≥ edge_ratio · max > 0`` and their four points
    along θ (module docstring), as pairs (a, b), (b, c), (c, d).

    Args:
        edges (Tensor): (B, 1, H, W) edge magnitudes.
        theta (Tensor): (B, 1, H, W) directions.
        edge_ratio (float): Relative edge threshold. Defaults to 0.1.
        min_distance, max_distance (int): Distances are drawn from
            ``randint(min_distance, max_distance)``, i.e. min…max − 1.
            Defaults to 3 and 20.
        generator (torch.Generator, optional): Source of randomness (draws
            happen on its device); the global RNG otherwise.

    Returns:
        tuple[Tensor, Tensor]: ``(index_a, index_b)``, int64 (P,) flat
        indices ``b·H·W + row·W + col``, P = 3 · #anchors; per image the
        (a, b) pairs of all anchors, then (b, c), then (c, d).
    """
    owner = 'sample_edge_guided_pairs'
    check_map(owner, 'edges', edges, 1)
    check_map(owner, 'theta', theta, 1, like=edges, like_name='edges')
    if (not isinstance(min_distance, int) or not isinstance(max_distance, int)
            or not 0 <= min_distance < max_distance):
        raise ValueError(f'{owner}: need ints 0 <= min_distance < '
                         f'max_distance, got {min_distance!r}, '
                         f'{max_distance!r}')
    if not isinstance(edge_ratio, Real) or not 0 <= edge_ratio <= 1:
        raise ValueError(f'{owner}: edge_ratio must be in [0, 1], got '
                         f'{edge_ratio!r}')
    batch, _, height, width = edges.shape
    draw_on = generator.device if generator is not None else edges.device
    flat = edges.detach().reshape(batch, -1).to(draw_on)
    angles = theta.detach().reshape(batch, -1).to(draw_on, torch.float64)
    peak = flat.amax(dim=1, keepdim=True)
    is_edge = (flat >= edge_ratio * peak) & (flat > 0)
    sign = torch.tensor([-1., -1., 1., 1.], dtype=torch.float64,
                        device=draw_on)[:, None]
    index_a, index_b = [], []
    for b in range(batch):
        where = is_edge[b].nonzero().squeeze(1)
        count = where.numel()
        if not count:
            continue
        anchors = where[torch.randint(0, count, (count, ),
                                      generator=generator, device=draw_on)]
        distance = sign * torch.randint(min_distance, max_distance,
                                        (4, count), generator=generator,
                                        device=draw_on)
        angle = angles[b, anchors]
        rows = (anchors // width + torch.round(distance * angle.sin())
                .long()).clamp(0, height - 1)
        cols = (anchors % width + torch.round(distance * angle.cos())
                .long()).clamp(0, width - 1)
        points = b * height * width + rows * width + cols  # (4, count)
        index_a.append(points[:3].flatten())
        index_b.append(points[1:].flatten())
    empty = torch.zeros(0, dtype=torch.long, device=draw_on)
    return (torch.cat(index_a or [empty]).to(edges.device),
            torch.cat(index_b or [empty]).to(edges.device))


def sample_relative_normal_pairs(
        image: Tensor, pseudo_depth: Tensor, pseudo_normals: Tensor,
        generator: Optional[torch.Generator] = None, border: int = 5,
        depth_edge_ratio: float = 0.1, edge_ratio: float = 0.1,
        min_edge: float = 1e-4, min_distance: int = 3,
        max_distance: int = 20, reference_direction: bool = False
) -> Tuple[Tensor, Tensor]:
    """Image-edge then normal-edge pairs: :func:`edge_maps` and
    :func:`sample_edge_guided_pairs` (arguments there)."""
    image_edges, image_theta, normal_edges, normal_theta = edge_maps(
        image, pseudo_depth, pseudo_normals, border, depth_edge_ratio,
        min_edge, reference_direction)
    pairs = [sample_edge_guided_pairs(edges, theta, edge_ratio, min_distance,
                                      max_distance, generator)
             for edges, theta in ((image_edges, image_theta),
                                  (normal_edges, normal_theta))]
    return (torch.cat([pairs[0][0], pairs[1][0]]),
            torch.cat([pairs[0][1], pairs[1][1]]))


def relative_normal_loss(pred_normals: Tensor, pseudo_normals: Tensor,
                         index_a: Tensor, index_b: Tensor) -> Tensor:
    """``L = (1/P) Σ | |n̂_A · n̂_B| − |n_A · n_B| |``, 0 without pairs.

    Args:
        pred_normals (Tensor): (B, 3, H, W) normals n of the predicted
            depth.
        pseudo_normals (Tensor): (B, 3, H, W) pseudo normals n̂ (a target:
            detached).
        index_a, index_b (Tensor): int64 (P,) flat pixel indices
            ``b·H·W + row·W + col``.

    Returns:
        Tensor: Scalar (float32).
    """
    owner = 'relative_normal_loss'
    check_map(owner, 'pred_normals', pred_normals, 3)
    check_map(owner, 'pseudo_normals', pseudo_normals, 3, like=pred_normals,
              like_name='pred_normals')
    check_index_pair(owner, index_a, index_b,
                     pred_normals.numel() // 3)

    def cosines(normals):
        flat = normals.float().permute(0, 2, 3, 1).reshape(-1, 3)
        return (flat[index_a] * flat[index_b]).sum(-1).abs()

    diff = (cosines(pseudo_normals.detach()) - cosines(pred_normals)).abs()
    return diff.sum() / max(index_a.numel(), 1)


__all__ = ['edge_maps', 'sample_edge_guided_pairs',
           'sample_relative_normal_pairs', 'relative_normal_loss']

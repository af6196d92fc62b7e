"""SC-DepthV3's confident depth-ranking loss (REFERENCE.md §4,
"Supervised"; checked against ``losses/mask_ranking_loss.py`` of
JiawangBian/sc_depth_pl).

Pairs (A, B) of pixels are labelled on the PSEUDO depth g and the loss is
taken on the PREDICTED depth z::

    t = +1   if g_A / g_B > ρ        (A farther than B)
    t = −1   if g_B / g_A > ρ        (B farther than A)
    t =  0   otherwise, and where g_A or g_B ≤ min_depth   (ignored)

    L = Σ_{t≠0} softplus(−t · (z_A − z_B)) / #{t ≠ 0},     ρ = 1.15

so ``t = +1`` pushes ``z_A > z_B`` (the reference's sign: it evaluates
``log(1 + exp(−t · (z_A − z_B)))`` on predicted depth, not disparity).
``softplus`` is that function in its stable form: the reference's literal
``log(1 + exp(x))`` overflows to inf for x ≳ 88 in float32 and its gradient
to NaN. No labelled pair gives a defined 0 (the reference divides by 0),
with zero gradients.

Pairs, drawn by :func:`sample_ranking_pairs`, as flat indices into the
(B·H·W) pixels of the batch:

- global: ``round(sample_ratio · H · W)`` positions, the same in every
  image, each paired with a position of an independent random set of the
  same size (the reference draws a Bernoulli(0.1) mask and a permutation of
  it; here the count is exact);
- confident: per image the ``int(unreliable_ratio · H · W)`` pixels of
  lowest confidence ``mean_ref(1 − D_diff)`` (SC-DepthV3's "dynamic mask":
  the mean over the reference frames of 1 − the geometry inconsistency,
  invalid pixels counting as 1), each paired with a pixel drawn uniformly,
  with replacement, from the remaining pixels of the image (the reference's
  partner set).

Differences from the reference, all deliberate: an exact global count;
pairs with a non-positive pseudo-depth on *either* side are ignored in both
sets (the reference keeps a global pair when *one* side is valid and never
filters the confident set, so a zero pseudo-depth labels by ``x / 0``);
``>`` on both sides (the reference's confident set uses ``≥`` for +1).
"""
from numbers import Real
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .dense_checks import check_index_pair, check_map


def _device_of(generator: Optional[torch.Generator], device) -> torch.device:
    """Where to draw: the generator's device, else ``device``."""
    return generator.device if generator is not None else torch.device(
        device if device is not None else 'cpu')


def sample_ranking_pairs(
        shape: Sequence[int],
        confidence: Optional[Tensor] = None,
        sample_ratio: float = 0.1,
        unreliable_ratio: float = 0.2,
        generator: Optional[torch.Generator] = None,
        device=None) -> Tuple[Tensor, Tensor]:
    """Draw the global and the confident pairs (module docstring).

    Args:
        shape (Sequence[int]): (B, H, W) of the depth maps.
        confidence (Tensor, optional): (B, 1, H, W) ``mean(1 − D_diff)``;
            without it only the global pairs are drawn.
        sample_ratio (float): Fraction of the pixels in the global set, in
            [0, 1]. Defaults to 0.1.
        unreliable_ratio (float): Fraction of each image's pixels, those of
            lowest confidence, in the confident set, in [0, 1). Defaults to
            0.2.
        generator (torch.Generator, optional): Source of randomness (draws
            happen on its device); the global RNG otherwise.
        device: Device of the result. Defaults to ``confidence``'s, else
            CPU.

    Returns:
        tuple[Tensor, Tensor]: ``(index_a, index_b)``, int64 (P,) flat
        indices into the B·H·W pixels (``b·H·W + row·W + col``): the global
        pairs image by image, then the confident pairs image by image.
    """
    if (len(shape) != 3 or not all(isinstance(s, int) and s > 0
                                   for s in shape)):
        raise ValueError(f'sample_ranking_pairs: shape must be (B, H, W) '
                         f'positive ints, got {tuple(shape)}')
    for name, value, high_open in (('sample_ratio', sample_ratio, False),
                                   ('unreliable_ratio', unreliable_ratio,
                                    True)):
        if (not isinstance(value, Real) or isinstance(value, bool)
                or not 0 <= value <= 1 or (high_open and value == 1)):
            raise ValueError(
                f'sample_ranking_pairs: {name} must be in '
                f'[0, 1{")" if high_open else "]"}, got {value!r}')
    batch, height, width = shape
    pixels = height * width
    if confidence is not None:
        check_map('sample_ranking_pairs', 'confidence', confidence, 1)
        if tuple(confidence.shape) != (batch, 1, height, width):
            raise ValueError(
                f'sample_ranking_pairs: confidence of shape '
                f'{tuple(confidence.shape)} does not match shape '
                f'(B, H, W) = {tuple(shape)}')
        device = confidence.device if device is None else device
    draw_on = _device_of(generator, device)
    offsets = torch.arange(batch, device=draw_on)[:, None] * pixels

    count = round(sample_ratio * pixels)
    pos_a = torch.randperm(pixels, generator=generator,
                           device=draw_on)[:count]
    pos_b = torch.randperm(pixels, generator=generator,
                           device=draw_on)[:count]
    index_a = [(offsets + pos_a).flatten()]
    index_b = [(offsets + pos_b).flatten()]

    unreliable = int(unreliable_ratio * pixels)
    if confidence is not None and unreliable:
        order = torch.argsort(confidence.detach().reshape(batch, pixels)
                              .to(draw_on), dim=1, stable=True)
        partner = torch.randint(0, pixels - unreliable, (batch, unreliable),
                                generator=generator, device=draw_on)
        index_a.append((offsets + order[:, :unreliable]).flatten())
        index_b.append((offsets + torch.gather(
            order[:, unreliable:], 1, partner)).flatten())
    return (torch.cat(index_a).to(device or draw_on),
            torch.cat(index_b).to(device or draw_on))


def ranking_labels(pseudo_a: Tensor, pseudo_b: Tensor, ratio: float = 1.15,
                   min_depth: float = 1e-8) -> Tensor:
    """``t = +1`` where ``g_A / g_B > ρ``, ``−1`` where ``g_B / g_A > ρ``,
    else 0; 0 wherever ``g_A`` or ``g_B`` ≤ ``min_depth``.

    Returns:
        Tensor: Labels in the dtype of ``pseudo_a``.
    """
    valid = (pseudo_a > min_depth) & (pseudo_b > min_depth)
    safe_a = torch.where(valid, pseudo_a, torch.ones_like(pseudo_a))
    safe_b = torch.where(valid, pseudo_b, torch.ones_like(pseudo_b))
    target = (safe_a / safe_b > ratio).to(pseudo_a.dtype) - (
        safe_b / safe_a > ratio).to(pseudo_a.dtype)
    return target * valid.to(pseudo_a.dtype)


def confident_ranking_loss(pred_depth: Tensor, pseudo_depth: Tensor,
                           index_a: Tensor, index_b: Tensor,
                           ratio: float = 1.15,
                           min_depth: float = 1e-8) -> Tensor:
    """``L = Σ_{t≠0} softplus(−t · (z_A − z_B)) / #{t ≠ 0}``, 0 without a
    labelled pair (module docstring; labels :func:`ranking_labels`).

    Args:
        pred_depth (Tensor): (B, 1, H, W) predicted depth z.
        pseudo_depth (Tensor): (B, 1, H, W) pseudo-depth g (a target:
            detached).
        index_a, index_b (Tensor): int64 (P,) flat pixel indices, e.g. from
            :func:`sample_ranking_pairs`.
        ratio (float): ρ > 1. Defaults to 1.15.
        min_depth (float): Pseudo-depths at or below it are invalid.
            Defaults to 1e-8 (the reference's ``filter_depth``).

    Returns:
        Tensor: Scalar (float32).
    """
    check_map('confident_ranking_loss', 'pred_depth', pred_depth, 1)
    check_map('confident_ranking_loss', 'pseudo_depth', pseudo_depth, 1,
              like=pred_depth, like_name='pred_depth')
    check_index_pair('confident_ranking_loss', index_a, index_b,
                     pred_depth.numel())
    if not isinstance(ratio, Real) or not ratio > 1:
        raise ValueError(f'confident_ranking_loss: ratio must be > 1, got '
                         f'{ratio!r}')
    pred = pred_depth.float().flatten()
    pseudo = pseudo_depth.detach().float().flatten()
    target = ranking_labels(pseudo[index_a], pseudo[index_b], ratio,
                            min_depth)
    labelled = target != 0
    # where() keeps the gradient of ignored pairs exactly 0
    terms = torch.where(labelled,
                        F.softplus(-target * (pred[index_a] - pred[index_b])),
                        torch.zeros_like(target))
    return terms.sum() / labelled.sum().clamp_min(1)

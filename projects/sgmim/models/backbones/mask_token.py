"""Mask-token substitution shared by the SimMIM backbones.

SimMIM feeds the encoder every patch; the embeddings of masked patches are
replaced by one learnable vector ``t`` (the mask token):

    x'_i = x_i · (1 − w_i) + t · w_i,    w_i = mask at patch i (1 = masked)

Example:
    >>> import torch
    >>> tokens = torch.zeros(1, 4, 2)
    >>> token = torch.ones(1, 1, 2)
    >>> mask = torch.tensor([[[0, 1], [0, 0]]])
    >>> replace_masked_tokens(tokens, mask, token, (2, 2))[0, :, 0]
    tensor([0., 1., 0., 0.])
"""
from typing import Sequence

import torch


def check_mask_shape(mask: torch.Tensor, batch_size: int,
                     grid: Sequence[int]) -> None:
    """Raise ``ValueError`` unless ``mask`` is (B, h, w) on the patch grid.

    Args:
        mask (torch.Tensor): The mask given to the backbone.
        batch_size (int): B, the number of images.
        grid (Sequence[int]): (h, w), the patch grid of the input images.
    """
    expected = (batch_size, *grid)
    if tuple(mask.shape) != expected:
        raise ValueError(
            f'mask of shape {tuple(mask.shape)} does not match the patch grid '
            f'of the input: expected (B, h, w) = {expected} (1 = masked, one '
            'entry per patch of the patch embedding)')


def replace_masked_tokens(tokens: torch.Tensor, mask: torch.Tensor,
                          mask_token: torch.Tensor,
                          grid: Sequence[int]) -> torch.Tensor:
    """``x' = x·(1 − w) + t·w`` for patch tokens ``x`` and mask ``w``.

    Args:
        tokens (torch.Tensor): Patch embeddings (B, h·w, C), row-major over
            the patch grid (as mmcv's ``PatchEmbed`` returns them).
        mask (torch.Tensor): (B, h, w), 1 (or True) where a patch is masked.
            Bool, integer or float; float values in (0, 1) blend.
        mask_token (torch.Tensor): The learnable token, (1, 1, C).
        grid (Sequence[int]): (h, w), the patch grid of ``tokens``.

    Returns:
        torch.Tensor: (B, h·w, C), masked tokens replaced by ``mask_token``.
    """
    check_mask_shape(mask, tokens.shape[0], grid)
    w = mask.flatten(1).unsqueeze(-1).to(tokens)  # dtype and device
    return tokens * (1. - w) + mask_token.to(tokens) * w

"""Token-grid helpers for computing a branch on a subset of tokens."""
from typing import Optional

import torch


def patchify(x: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Cut maps into non-overlapping square patches, one row per token.

    ``out[b, t] = x[b, :, p·i:p·(i+1), p·j:p·(j+1)]`` flattened in
    (channel, row, column) order, with token ``t = i·w + j`` — the order of
    ``nn.PixelUnshuffle``'s channels and of a ``Conv2d`` kernel with
    ``kernel_size = stride = p``.

    Args:
        x (Tensor): (B, c, H, W) with H and W multiples of ``patch_size``.
        patch_size (int): Side p of the patches.

    Returns:
        Tensor: (B, (H / p)·(W / p), c·p²).
    """
    if x.dim() != 4 or x.shape[2] % patch_size or x.shape[3] % patch_size:
        raise ValueError(f'expected (B, c, H, W) maps with H and W multiples '
                         f'of the patch size {patch_size}, got shape '
                         f'{tuple(x.shape)}')
    B, c, H, W = x.shape
    h, w, p = H // patch_size, W // patch_size, patch_size
    # one copy; 4x faster than pixel_unshuffle for one-channel maps on CPU
    return x.reshape(B, c, h, p, w, p).permute(0, 2, 4, 1, 3, 5).reshape(
        B, h * w, c * p * p)


def gather_tokens(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``out[b, k] = x[b, index[b, k]]``: (B, N, ...), (B, K) -> (B, K, ...).
    """
    expanded = index.view(*index.shape, *[1] * (x.dim() - 2))
    return x.gather(1, expanded.expand(-1, -1, *x.shape[2:]))


def uniform_index(select: torch.Tensor,
                  count: Optional[int] = None) -> Optional[torch.Tensor]:
    """Indices of the selected tokens of each sample, as a dense tensor.

    Reads one number per sample back from the device (one synchronisation)
    unless ``count`` is given: call it before queueing heavy work, not in
    the middle of it.

    Args:
        select (Tensor): bool (B, N).
        count (int, optional): The number of selected tokens, known to be
            the same positive number in every row (not checked).

    Returns:
        Tensor | None: long (B, K), row ``b`` holding the ``K`` indices
        where ``select[b]`` is True in increasing order; None when the rows
        select different numbers of tokens, or none at all (no dense tensor
        holds them).
    """
    if count is None:
        counts = select.sum(1).tolist()
        if len(set(counts)) != 1 or counts[0] == 0:
            return None
        count = counts[0]
    # a stable sort of "not selected" puts the selected tokens first, in
    # order, with no further read-back (nonzero would need one)
    order = torch.argsort((~select).to(torch.uint8), dim=1, stable=True)
    return order[:, :count]

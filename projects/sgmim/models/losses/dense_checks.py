"""Shape checks shared by the dense (per-pixel) depth losses: each error
names the function, the argument and the shapes it got."""
from typing import Optional

import torch
from torch import Tensor


def check_map(owner: str, name: str, value, channels: Optional[int] = None,
              like: Optional[Tensor] = None,
              like_name: Optional[str] = None) -> None:
    """Raise unless ``value`` is a (B, C, H, W) floating tensor.

    Args:
        owner (str): The caller, for the message (e.g. ``'ranking'``).
        name (str): The argument's name.
        value: The argument.
        channels (int, optional): Required C.
        like (Tensor, optional): A map whose B, H, W ``value`` must share.
        like_name (str, optional): ``like``'s argument name.

    Raises:
        TypeError: Not a floating tensor.
        ValueError: Wrong rank, C, or B/H/W different from ``like``'s.
    """
    if not isinstance(value, Tensor) or not value.is_floating_point():
        raise TypeError(f'{owner}: {name} must be a floating tensor, got '
                        f'{type(value).__name__}'
                        + (f' of {value.dtype}'
                           if isinstance(value, Tensor) else ''))
    want = f'(B, {channels if channels is not None else "C"}, H, W)'
    if value.dim() != 4 or (channels is not None
                            and value.shape[1] != channels):
        raise ValueError(f'{owner}: {name} must be {want}, got shape '
                         f'{tuple(value.shape)}')
    if like is not None:
        b, _, h, w = like.shape
        if (value.shape[0], *value.shape[2:]) != (b, h, w):
            raise ValueError(
                f'{owner}: {name} of shape {tuple(value.shape)} does not '
                f'match {like_name} of shape {tuple(like.shape)} in B, H, W')


def check_index_pair(owner: str, index_a, index_b, numel: int) -> None:
    """Raise unless ``index_a``/``index_b`` are equal-length 1-D integer
    tensors of flat indices in ``[0, numel)``."""
    for name, index in (('index_a', index_a), ('index_b', index_b)):
        if (not isinstance(index, Tensor) or index.dim() != 1
                or index.dtype != torch.long):
            raise TypeError(
                f'{owner}: {name} must be a 1-D int64 tensor of flat pixel '
                f'indices, got '
                + (f'{index.dtype} of shape {tuple(index.shape)}'
                   if isinstance(index, Tensor) else type(index).__name__))
    if index_a.numel() != index_b.numel():
        raise ValueError(f'{owner}: index_a has {index_a.numel()} entries '
                         f'and index_b {index_b.numel()}')
    if index_a.numel():
        # one device sync for the four bounds
        a_low, b_low, a_high, b_high = torch.stack(
            [index_a.min(), index_b.min(), index_a.max(),
             index_b.max()]).tolist()
        low, high = min(a_low, b_low), max(a_high, b_high)
        if low < 0 or high >= numel:
            raise ValueError(f'{owner}: pair indices span [{low}, {high}], '
                             f'outside the {numel} pixels of the batch')

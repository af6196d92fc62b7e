"""Masked-token heterogeneity (MTO, masked token optimisation).

For the features ``X_M`` (|M| × C) of the masked tokens and ``X_V``
(|V| × C) of the visible tokens of one layer::

    A   = rowsoftmax( X_M X_Vᵀ / τ )                          (|M| × |V|)
    H^l = −(1/|M|) Σ_i Σ_j A_ij log A_ij

``H`` lies in [0, log |V|]: ``log |V|`` when every masked token attends
uniformly to the visible ones, 0 when each picks a single visible token.
The paper uses raw features and ``τ = 1``; L2-normalised features and a
temperature are options. The functions keep the autograd graph (the MTO
losses are built on them) and the input dtype.

    >>> visible = torch.ones(4, 3)                 # identical visible tokens
    >>> masked = torch.randn(2, 3)
    >>> h = masked_token_heterogeneity(masked, visible)
    >>> torch.allclose(h, torch.log(torch.tensor(4.)))
    True
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def _affinity_logits(masked: Tensor, visible: Tensor, normalize: bool,
                     temperature: float) -> Tensor:
    """``X_M X_Vᵀ / τ`` after the shape checks, (B, M, V) or (M, V)."""
    for x, name in ((masked, 'masked'), (visible, 'visible')):
        if not isinstance(x, Tensor):
            raise TypeError(f'{name} must be a torch.Tensor, got {type(x)}')
        if x.ndim not in (2, 3):
            raise ValueError(f'{name} must have shape (B, T, C) or (T, C), '
                             f'got {tuple(x.shape)}')
        if x.shape[-2] == 0:
            raise ValueError(f'{name} holds no tokens: {tuple(x.shape)}')
    if masked.ndim != visible.ndim:
        raise ValueError(f'masked and visible must both be batched or both '
                         f'not, got {tuple(masked.shape)} and '
                         f'{tuple(visible.shape)}')
    if masked.shape[-1] != visible.shape[-1]:
        raise ValueError(f'masked and visible must have the same channels, '
                         f'got {masked.shape[-1]} and {visible.shape[-1]}')
    if masked.ndim == 3 and masked.shape[0] != visible.shape[0]:
        raise ValueError(f'masked and visible must have the same batch size, '
                         f'got {masked.shape[0]} and {visible.shape[0]}')
    if not temperature > 0:
        raise ValueError(f'temperature must be positive, got {temperature}')
    if normalize:
        masked = F.normalize(masked, dim=-1)
        visible = F.normalize(visible, dim=-1)
    return masked @ visible.transpose(-2, -1) / temperature


def token_affinity(masked: Tensor, visible: Tensor, normalize: bool = False,
                   temperature: float = 1.0) -> Tensor:
    """``A = rowsoftmax(X_M X_Vᵀ / τ)``: each masked token's distribution
    over the visible tokens.

    Args:
        masked (Tensor): (B, M, C) or (M, C) masked-token features.
        visible (Tensor): (B, V, C) or (V, C) visible-token features.
        normalize (bool): L2-normalise the features first. Defaults to
            False.
        temperature (float): ``τ > 0``. Defaults to 1.

    Returns:
        Tensor: (B, M, V) or (M, V), rows summing to 1.

        >>> token_affinity(torch.tensor([[1., 0.]]),
        ...                torch.tensor([[1., 0.], [0., 1.]]))
        tensor([[0.7311, 0.2689]])
    """
    return _affinity_logits(masked, visible, normalize,
                            temperature).softmax(-1)


def masked_token_heterogeneity(masked: Tensor, visible: Tensor,
                               normalize: bool = False,
                               temperature: float = 1.0) -> Tensor:
    """``H = −(1/|M|) Σ_i Σ_j A_ij log A_ij`` with ``A`` from
    :func:`token_affinity` (``log A`` taken as a log-softmax, exact where
    ``A_ij`` underflows to 0).

    Args: as :func:`token_affinity`.

    Returns:
        Tensor: (B,) for batched inputs, else a scalar; in nats.
    """
    log_a = _affinity_logits(masked, visible, normalize,
                             temperature).log_softmax(-1)
    return -(log_a.exp() * log_a).sum(-1).mean(-1)


def split_tokens_by_mask(tokens: Tensor,
                         mask: Tensor) -> Tuple[Tensor, Tensor]:
    """Masked and visible tokens of each sample, in token order.

    Args:
        tokens (Tensor): (B, N, C) token features.
        mask (Tensor): (B, N), True (or 1) where the token is masked; every
            sample must mask the same number ``M`` of tokens.

    Returns:
        tuple[Tensor, Tensor]: masked (B, M, C) and visible (B, N − M, C).

        >>> tokens = torch.arange(6.).reshape(1, 3, 2)
        >>> masked, visible = split_tokens_by_mask(
        ...     tokens, torch.tensor([[False, True, False]]))
        >>> masked.tolist(), visible.tolist()
        ([[[2.0, 3.0]]], [[[0.0, 1.0], [4.0, 5.0]]])
    """
    if not isinstance(tokens, Tensor) or tokens.ndim != 3:
        raise ValueError(f'tokens must have shape (B, N, C), got '
                         f'{getattr(tokens, "shape", type(tokens))}')
    if not isinstance(mask, Tensor) or mask.shape != tokens.shape[:2]:
        raise ValueError(f'mask must have shape (B, N) = '
                         f'{tuple(tokens.shape[:2])}, got '
                         f'{getattr(mask, "shape", type(mask))}')
    if tokens.shape[0] == 0:
        raise ValueError('tokens holds no samples')
    if mask.dtype != torch.bool:
        if ((mask != 0) & (mask != 1)).any():
            raise ValueError('mask must be boolean or hold only 0 and 1')
        mask = mask != 0
    counts = mask.sum(1)
    if (counts != counts[0]).any():
        raise ValueError(f'every sample must mask the same number of tokens, '
                         f'got counts {counts.tolist()}')
    b, n, c = tokens.shape
    m = int(counts[0])
    return (tokens[mask].reshape(b, m, c),
            tokens[~mask].reshape(b, n - m, c))

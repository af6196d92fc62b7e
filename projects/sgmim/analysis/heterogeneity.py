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

On a token grid coarser than the mask (a Swin stage after patch merging),
:func:`split_on_token_grid` applies the stage rule: a token is masked when
every patch it merges is masked, visible when none is, and a mixed token is
in neither set. :func:`split_heterogeneity` then takes each sample's own
sets, which may differ in size.

    >>> visible = torch.ones(4, 3)                 # identical visible tokens
    >>> masked = torch.randn(2, 3)
    >>> h = masked_token_heterogeneity(masked, visible)
    >>> torch.allclose(h, torch.log(torch.tensor(4.)))
    True
"""
from typing import NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from sgmim.models.utils import gather_tokens, uniform_index


def affinity_logits(masked: Tensor, visible: Tensor, normalize: bool = False,
                    temperature: float = 1.0) -> Tensor:
    """``X_M X_Vᵀ / τ`` after the shape checks, (B, M, V) or (M, V) (any
    two token sets: the rows and the columns of an affinity)."""
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


def softmax_row_entropy(logits: Tensor,
                        columns: Optional[Tensor] = None) -> Tensor:
    """``−Σ_j p_ij log p_ij`` of each row of ``p = rowsoftmax(logits)``,
    with ``log p`` taken as a log-softmax (exact where ``p_ij`` underflows
    to 0).

    Args:
        logits (Tensor): (..., R, K).
        columns (Tensor, optional): (..., K) bool, the columns each row's
            softmax runs over (at least one per row); default all.

    Returns:
        Tensor: (..., R), in nats.
    """
    if columns is not None:
        logits = logits.masked_fill(~columns[..., None, :], float('-inf'))
    log_p = logits.log_softmax(-1)
    p = log_p.exp()
    if columns is not None:
        # 0 · log p with log p = 0, not −inf: finite gradients as well
        log_p = log_p.masked_fill(~columns[..., None, :], 0.)
    return -(p * log_p).sum(-1)


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
    return affinity_logits(masked, visible, normalize,
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
    return softmax_row_entropy(
        affinity_logits(masked, visible, normalize, temperature)).mean(-1)


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
    m = int(counts[0])
    return (split_tokens(tokens, mask, m),
            split_tokens(tokens, ~mask, tokens.shape[1] - m))


class TokenSplit(NamedTuple):
    """Masked and visible tokens of one token grid, per sample.

    Attributes:
        masked (Tensor): (B, N) bool, the set M of each sample.
        visible (Tensor): (B, N) bool, the set V; ``masked & visible`` is
            empty, and a token in neither set (a mixed Swin token) is left
            out of both.
        masked_counts (tuple[int, ...]): |M| of each sample.
        visible_counts (tuple[int, ...]): |V| of each sample.
    """
    masked: Tensor
    visible: Tensor
    masked_counts: Tuple[int, ...]
    visible_counts: Tuple[int, ...]

    @property
    def valid(self) -> Tuple[bool, ...]:
        """Whether each sample has both masked and visible tokens (H is
        defined)."""
        return tuple(m > 0 and v > 0 for m, v in zip(self.masked_counts,
                                                     self.visible_counts))

    @property
    def uniform(self) -> bool:
        """Every sample has the same |M| and the same |V|."""
        return (len(set(self.masked_counts)) == 1
                and len(set(self.visible_counts)) == 1)


def token_split(masked: Tensor, visible: Tensor) -> TokenSplit:
    """A :class:`TokenSplit` from (B, N) bool sets (one host read of the
    counts).

    Raises:
        ValueError: Shapes differ, are not (B, N), or a token is in both.
    """
    if masked.ndim != 2 or masked.shape != visible.shape:
        raise ValueError(f'masked and visible must both be (B, N), got '
                         f'{tuple(masked.shape)} and {tuple(visible.shape)}')
    masked, visible = masked.bool(), visible.bool()
    if (masked & visible).any():
        raise ValueError('a token cannot be both masked and visible')
    counts = torch.stack([masked.sum(1), visible.sum(1)]).tolist()
    return TokenSplit(masked, visible, tuple(counts[0]), tuple(counts[1]))


def split_on_token_grid(mask: Tensor, hw: Sequence[int]) -> TokenSplit:
    """The patch mask read on a token grid, by the Swin stage rule.

    A token of the (h, w) grid merges an f × f block of the (h0, w0) patch
    grid (f = h0 / h = w0 / w, 1 for ViT and before the first merge): it is
    masked when all f² patches are masked, visible when none is, and in
    neither set otherwise (mixed).

    Args:
        mask (Tensor): (B, h0, w0), 1 (or True) where a patch is masked.
        hw (Sequence[int]): (h, w), the token grid.

    Returns:
        TokenSplit: on the (h, w) grid, row-major.

        >>> mask = torch.tensor([[[1, 1, 0, 1],
        ...                       [1, 1, 0, 0]]])
        >>> split = split_on_token_grid(mask, (1, 2))
        >>> split.masked.tolist(), split.visible.tolist()
        ([[True, False]], [[False, False]])

    Raises:
        ValueError: ``mask`` is not (B, h0, w0), or the token grid does not
            tile the patch grid by one integer factor.
    """
    if mask.ndim != 3:
        raise ValueError(f'mask must be (B, h0, w0), got {tuple(mask.shape)}')
    (h0, w0), (h, w) = mask.shape[1:], tuple(hw)
    if h <= 0 or w <= 0 or h0 % h or w0 % w or h0 // h != w0 // w:
        raise ValueError(f'a {h}x{w} token grid does not tile the {h0}x{w0} '
                         'patch grid of the mask by one integer factor')
    factor = h0 // h
    blocks = mask.bool().reshape(-1, h, factor, w, factor)
    masked = blocks.all(4).all(2).flatten(1)
    visible = ~blocks.any(4).any(2).flatten(1)
    return token_split(masked, visible)


def split_tokens(tokens: Tensor, select: Tensor, count: int) -> Tensor:
    """(B, count, C): the tokens where ``select`` (B, N) is True, in token
    order, for a set of ``count`` tokens in every sample (no host read)."""
    return gather_tokens(tokens, uniform_index(select, count))


def split_heterogeneity(tokens: Tensor, split: TokenSplit,
                        normalize: bool = False,
                        temperature: float = 1.0) -> Tensor:
    """H of each sample over its own masked and visible sets.

    ``H_b = −(1/|M_b|) Σ_{i∈M_b} Σ_{j∈V_b} A_ij log A_ij`` with
    ``A = rowsoftmax(X_{M_b} X_{V_b}ᵀ / τ)``:
    :func:`masked_token_heterogeneity` on gathered sets when the counts are
    uniform, else the full N × N affinity with the other columns and rows
    left out.

    Args:
        tokens (Tensor): (B, N, C) features of one layer.
        split (TokenSplit): Its masked and visible sets.
        normalize, temperature: as :func:`token_affinity`.

    Returns:
        Tensor: (B,); 0 for a sample without masked or visible tokens
        (``split.valid`` is False there), never NaN.
    """
    if tokens.ndim != 3 or tokens.shape[:2] != split.masked.shape:
        raise ValueError(f'tokens of shape {tuple(tokens.shape)} do not '
                         f'match the (B, N) = {tuple(split.masked.shape)} '
                         'token split')
    batch = tokens.shape[0]
    valid = torch.tensor(split.valid, device=tokens.device)
    if not any(split.valid):
        return tokens.new_zeros(batch)
    if split.uniform:
        return masked_token_heterogeneity(
            split_tokens(tokens, split.masked, split.masked_counts[0]),
            split_tokens(tokens, split.visible, split.visible_counts[0]),
            normalize, temperature)
    # a sample without visible tokens keeps every column: finite, then 0
    columns = split.visible | ~valid[:, None]
    logits = affinity_logits(tokens, tokens, normalize, temperature)
    rows = (split.masked & valid[:, None]).to(tokens.dtype)
    counts = rows.sum(1).clamp(min=1)
    return (softmax_row_entropy(logits, columns) * rows).sum(1) / counts

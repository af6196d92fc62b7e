"""Statistics of attention maps: distance, entropy, head diversity.

The measures of "Revealing the Dark Secrets of Masked Image Modeling" (Xie et
al., 2022), computed per head from attention probabilities ``A`` of shape
(..., H, Q, N): H heads, Q query rows, N keys; any leading dims (images,
windows). Every function works in float64 and follows one convention:

* ``valid`` (broadcastable to (..., Q, N), shared by the heads) marks the
  key positions that count. Each row is restricted to its valid keys and
  renormalised, ``Â_ij = A_ij·v_ij / Σ_k A_ik·v_ik`` (so ``A`` need only be
  proportional to a distribution: dropping the CLS column of a ViT map and
  passing the rest is the usual "drop CLS, renormalise rows").
* A query row with no valid key (a padding token) is left out; the result
  is the mean over all remaining (leading, query) rows, which without
  ``valid`` is the mean over queries, then over the leading dims.

The RepLKNet reading (REFERENCE §5) treats every channel of a depthwise
kernel as a head with a single query: :func:`large_kernel_heads` turns the
kernel into distributions over its k×k taps, :func:`large_kernel_statistics`
measures them.
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

#: Floor of the second argument of a KL divergence before its log: a head
#: that puts mass where another has (numerically) none contributes
#: ``p·(log p − log eps)`` instead of infinity.
KL_EPS = 1e-12

Size2 = Union[float, Tuple[float, float]]


def _normalised_rows(attn: Tensor, valid: Optional[Tensor],
                     square: bool) -> Tuple[Tensor, Tensor]:
    """Check ``attn`` (..., H, Q, N) and ``valid``; return the rows restricted
    to the valid keys and renormalised (float64, zero off ``valid``) and the
    (..., 1, Q) bool mask of the rows that have a valid key."""
    if not isinstance(attn, Tensor) or attn.dim() < 3:
        raise ValueError('attn must be a tensor (..., H, Q, N), got '
                         f'{getattr(attn, "shape", type(attn))}')
    if square and attn.shape[-1] != attn.shape[-2]:
        raise ValueError('attn must be square in its last two dims '
                         f'(..., H, N, N), got {tuple(attn.shape)}')
    a = attn.detach().to(torch.float64)
    if not torch.isfinite(a).all() or (a < 0).any():
        raise ValueError('attn must hold finite non-negative probabilities')
    if valid is None:
        keep = torch.ones(a.shape[:-3] + (1, a.shape[-2]), dtype=torch.bool,
                          device=a.device)
    else:
        if valid.dtype != torch.bool:
            raise ValueError(f'valid must be a bool tensor, got {valid.dtype}')
        try:
            mask = torch.broadcast_to(valid.unsqueeze(-3).to(a.device),
                                      a.shape)
        except RuntimeError:
            raise ValueError(
                f'valid {tuple(valid.shape)} does not broadcast to the '
                f'(..., Q, N) of attn {tuple(attn.shape)}') from None
        a = a * mask
        keep = mask[..., :1, :, :].any(-1)
    mass = a.sum(-1)
    if ((mass <= 0) & keep).any():
        raise ValueError('attn has rows with valid keys but zero mass on '
                         'them; cannot renormalise')
    a = a / torch.where(keep, mass, torch.ones_like(mass)).unsqueeze(-1)
    return a, keep


def _row_mean(values: Tensor, keep: Tensor) -> Tensor:
    """Mean per head of ``values`` (..., H, Q) over the kept (leading, query)
    rows (``keep`` (..., 1, Q))."""
    keep = torch.broadcast_to(keep, values.shape).to(values.dtype)
    heads = values.shape[-2]
    count = keep.movedim(-2, 0).reshape(heads, -1).sum(-1)
    if (count == 0).any():
        raise ValueError('no query row has a valid key')
    return (values * keep).movedim(-2, 0).reshape(heads, -1).sum(-1) / count


def _grid_coords(grid: Sequence[int], device) -> Tensor:
    """(h·w, 2) row-major (y, x) centres of an h×w grid of unit cells."""
    h, w = grid
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=torch.float64, device=device) + .5,
        torch.arange(w, dtype=torch.float64, device=device) + .5,
        indexing='ij')
    return torch.stack([ys.flatten(), xs.flatten()], -1)


def attention_distance(attn: Tensor,
                       grid: Union[Sequence[int], Tensor],
                       patch_size: Size2 = 1.,
                       valid: Optional[Tensor] = None) -> Tensor:
    """Average attention distance per head (Dark Secrets of MIM, §5).

    ``d_i = Σ_j Â_ij ‖c_i − c_j‖``, the attention-weighted distance between
    the centre ``c_i`` of query token i and the centres ``c_j`` of the keys;
    averaged over queries, then over the leading dims (module docstring).

    Args:
        attn (Tensor): (..., H, N, N) attention probabilities (self-attention:
            queries and keys are the same N tokens).
        grid (tuple[int, int] | Tensor): either ``(h, w)`` with h·w = N, the
            tokens being a row-major h×w grid with centres (i + ½, j + ½) in
            patch units; or explicit token centres (..., N, 2) as (y, x),
            broadcastable to the leading dims of ``attn`` (e.g. per window).
        patch_size (float | tuple[float, float]): pixels per unit of the
            coordinates, (y, x) or one value. Defaults to 1 (coordinates
            already in pixels).
        valid (Tensor, optional): bool (..., N, N), the query–key pairs that
            count. Defaults to None (all).

    Returns:
        Tensor: (H,) float64 mean distances in pixels.

    Example:
        >>> attn = torch.eye(4).expand(2, 4, 4)  # each token on itself
        >>> attention_distance(attn, (2, 2), 16)
        tensor([0., 0.], dtype=torch.float64)
    """
    a, keep = _normalised_rows(attn, valid, square=True)
    n = a.shape[-1]
    if isinstance(grid, Tensor):
        if grid.dim() < 2 or grid.shape[-2:] != (n, 2):
            raise ValueError(f'grid coordinates must be (..., {n}, 2), got '
                             f'{tuple(grid.shape)}')
        coords = grid.to(device=a.device, dtype=torch.float64)
    else:
        if (len(grid) != 2 or any(int(g) != g or g < 1 for g in grid)
                or grid[0] * grid[1] != n):
            raise ValueError(f'grid must be (h, w) with h*w = N = {n}, got '
                             f'{tuple(grid)}')
        coords = _grid_coords(grid, a.device)
    scale = torch.as_tensor(patch_size, dtype=torch.float64,
                            device=a.device).expand(2)
    if (scale <= 0).any():
        raise ValueError(f'patch_size must be positive, got {patch_size}')
    coords = coords * scale
    dist = (coords.unsqueeze(-2) - coords.unsqueeze(-3)).norm(dim=-1)
    try:
        weighted = a * dist.unsqueeze(-3)
    except RuntimeError:
        weighted = None
    if weighted is None or weighted.shape != a.shape:
        raise ValueError(f'grid coordinates {tuple(grid.shape)} do not '
                         f'broadcast to attn {tuple(attn.shape)}')
    return _row_mean(weighted.sum(-1), keep)


def attention_entropy(attn: Tensor, valid: Optional[Tensor] = None) -> Tensor:
    """Attention entropy per head in nats (Dark Secrets of MIM, §5).

    ``E_i = −Σ_j Â_ij log Â_ij`` (0·log 0 = 0), averaged over queries, then
    over the leading dims. A one-hot row gives 0, a uniform row over N
    valid keys gives log N.

    Args:
        attn (Tensor): (..., H, Q, N) attention probabilities.
        valid (Tensor, optional): bool (..., Q, N) valid query–key pairs.

    Returns:
        Tensor: (H,) float64.

    Example:
        >>> attention_entropy(torch.full((1, 3, 4), .25))
        tensor([1.3863], dtype=torch.float64)
    """
    a, keep = _normalised_rows(attn, valid, square=False)
    return _row_mean(-torch.special.xlogy(a, a).sum(-1), keep)


def head_kl_divergence(attn: Tensor,
                       mode: str = 'pairwise',
                       valid: Optional[Tensor] = None,
                       eps: float = KL_EPS) -> Tensor:
    """Diversity of the heads: KL divergence between their attention rows.

    Per query row, with ``KL(p‖q) = Σ_j p_j (log p_j − log max(q_j, eps))``:

    * ``'pairwise'`` (default): ``D_h = 1/(H−1) Σ_{g≠h} KL(Â_h ‖ Â_g)``,
      the mean KL from head h to every other head (needs H ≥ 2);
    * ``'to_mean'``: ``D_h = KL(Â_h ‖ Ā)`` with ``Ā = (1/H) Σ_g Â_g``.

    averaged over queries, then the leading dims; the layer's value is the
    mean over heads. The pairwise sum is evaluated in O(H·N) per row as
    ``(H−1)·Σ p_h log p_h − Σ_j p_hj (Σ_g log q_gj − log q_hj)``.

    Args:
        attn (Tensor): (..., H, Q, N) attention probabilities.
        mode (str): 'pairwise' or 'to_mean'.
        valid (Tensor, optional): bool (..., Q, N) valid query–key pairs.
        eps (float): floor of the second distribution before its log.
            Defaults to :data:`KL_EPS`.

    Returns:
        Tensor: (H,) float64, in nats.
    """
    if mode not in ('pairwise', 'to_mean'):
        raise ValueError(f"mode must be 'pairwise' or 'to_mean', got {mode!r}")
    a, keep = _normalised_rows(attn, valid, square=False)
    heads = a.shape[-3]
    plogp = torch.special.xlogy(a, a).sum(-1)
    if mode == 'to_mean':
        log_mean = a.mean(-3, keepdim=True).clamp_min(eps).log()
        return _row_mean(plogp - (a * log_mean).sum(-1), keep)
    if heads < 2:
        raise ValueError('pairwise KL needs at least 2 heads, got attn '
                         f'{tuple(attn.shape)}')
    log_a = a.clamp_min(eps).log()
    others = log_a.sum(-3, keepdim=True) - log_a
    return _row_mean(plogp - (a * others).sum(-1) / (heads - 1), keep)


def large_kernel_heads(weight: Tensor, normalize: str = 'softmax') -> Tensor:
    """Depthwise conv kernel (C, 1, kh, kw) as C one-query "heads".

    Each channel becomes a distribution over its kh·kw taps (REFERENCE §5,
    RepLKNet; the paper leaves the normalisation unstated):
    ``'softmax'``: ``p = softmax(w)``; ``'abs'``: ``p = |w| / Σ|w|``.

    Returns:
        Tensor: (C, 1, kh·kw) float64 (H = C heads, Q = 1 query, row-major
        taps), usable with :func:`attention_entropy` and
        :func:`head_kl_divergence`; its distance is
        :func:`large_kernel_distance`.
    """
    if not isinstance(weight, Tensor) or weight.dim() != 4 \
            or weight.shape[1] != 1:
        raise ValueError('weight must be a depthwise kernel (C, 1, kh, kw), '
                         f'got {getattr(weight, "shape", type(weight))}')
    w = weight.detach().to(torch.float64).flatten(1)
    if not torch.isfinite(w).all():
        raise ValueError('weight has non-finite values')
    if normalize == 'softmax':
        p = w.softmax(-1)
    elif normalize == 'abs':
        total = w.abs().sum(-1, keepdim=True)
        if (total == 0).any():
            raise ValueError("weight has an all-zero channel: 'abs' "
                             'normalisation is undefined')
        p = w.abs() / total
    else:
        raise ValueError("normalize must be 'softmax' or 'abs', got "
                         f'{normalize!r}')
    return p.unsqueeze(1)


def kernel_offsets(kernel_size: Tuple[int, int],
                   dilation: Tuple[int, int] = (1, 1)) -> Tensor:
    """(kh·kw, 2) row-major (y, x) offsets of the taps from the kernel
    centre ((k − 1)/2 per axis), in input pixels (× dilation)."""
    kh, kw = kernel_size
    ys, xs = torch.meshgrid(
        (torch.arange(kh, dtype=torch.float64) - (kh - 1) / 2) * dilation[0],
        (torch.arange(kw, dtype=torch.float64) - (kw - 1) / 2) * dilation[1],
        indexing='ij')
    return torch.stack([ys.flatten(), xs.flatten()], -1)


def large_kernel_distance(heads: Tensor,
                          kernel_size: Tuple[int, int],
                          stride: Size2 = 1.,
                          dilation: Tuple[int, int] = (1, 1)) -> Tensor:
    """Attention distance of a depthwise kernel, per channel.

    ``d_c = Σ_t p_ct ‖o_t‖ · s``: the mean distance, weighted by the channel's
    distribution ``p_c`` (:func:`large_kernel_heads`), of the taps' offsets
    ``o_t`` (:func:`kernel_offsets`, dilation included) from the centre, in
    image pixels: ``stride`` s is the number of image pixels per pixel of the
    conv's *input* feature map ((y, x) or one value).

    Args:
        heads (Tensor): (C, 1, kh·kw) distributions.
        kernel_size (tuple[int, int]): (kh, kw).
        stride (float | tuple[float, float]): input stride in pixels.
        dilation (tuple[int, int]): the conv's dilation.

    Returns:
        Tensor: (C,) float64 pixels.
    """
    kh, kw = kernel_size
    if heads.dim() != 3 or heads.shape[1] != 1 or heads.shape[2] != kh * kw:
        raise ValueError(f'heads must be (C, 1, {kh * kw}) for kernel '
                         f'{kernel_size}, got {tuple(heads.shape)}')
    scale = torch.as_tensor(stride, dtype=torch.float64).expand(2)
    if (scale <= 0).any():
        raise ValueError(f'stride must be positive, got {stride}')
    radius = (kernel_offsets(kernel_size, dilation) * scale).norm(dim=-1)
    return (heads[:, 0].to(torch.float64) * radius.to(heads.device)).sum(-1)


def large_kernel_statistics(weight: Tensor,
                            stride: Size2 = 1.,
                            dilation: Tuple[int, int] = (1, 1),
                            normalize: str = 'softmax',
                            kl_mode: str = 'pairwise') -> Dict[str, Tensor]:
    """Distance, entropy and head KL of a depthwise kernel (C, 1, kh, kw),
    its C channels read as heads (REFERENCE §5).

    Returns:
        dict: ``distance`` (C,) pixels (:func:`large_kernel_distance`),
        ``entropy`` (C,) nats and ``kl`` (C,) (:func:`head_kl_divergence`
        over the channels) of :func:`large_kernel_heads`.
    """
    heads = large_kernel_heads(weight, normalize)
    return dict(
        distance=large_kernel_distance(heads, tuple(weight.shape[-2:]),
                                       stride, dilation),
        entropy=attention_entropy(heads),
        kl=head_kl_divergence(heads, kl_mode))

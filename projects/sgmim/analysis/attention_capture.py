"""Capture the attention maps a model applies, recomputed from its own q/k.

mmpretrain 1.2.0's ViT attention runs through ``scaled_dot_product_attention``
and its window attention returns only the attended values, so no module
exposes its attention probabilities. :class:`AttentionCapture` hooks the
attention modules and recomputes, from each layer's input and its own
weights, exactly the probabilities that layer applies (before attention
dropout, which eval mode does not apply):

* ViT ``MultiheadAttention``: ``softmax(q kᵀ · s)``, ``s = head_dim^−½``
  (``scaled_dot_product_attention``); with ``qk_scale`` set, mmpretrain's
  Python fallback divides by the scale it is handed (``head_dim^−½``), so
  ``s = head_dim^½`` there, reproduced as applied. Tokens before the patch
  grid (CLS, distillation) are counted as ``num_prefix_tokens``.
* Swin ``ShiftWindowMSA`` with ``WindowMSA``:
  ``softmax(q·scale kᵀ + B_rel + M_shift)`` per window, on the zero-padded,
  cyclically shifted map;
* with SwinV2's ``WindowMSAV2``: cosine attention
  ``softmax(cos(q, k)·exp(min(τ, log 100)) + 16·sigmoid(B_cpb) + M_shift)``;
* the same for the fused SDPA classes (``FusedWindowMSA``,
  ``FusedWindowMSAV2``: the same layers).

Each record carries the (y, x) pixel centres of the tokens in the input
image frame (for windows: of every window token, the cyclic shift undone)
and the valid query–key pairs (for windows: pairs of image tokens that the
shift mask allows; zero-padding tokens are invalid as queries and keys).
The stride of a token map is ``input size / map size`` of the encoder
(``model.backbone`` when the model has one, else the model), which must be
an integer unless given explicitly.
"""
import difflib
from functools import partial
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.utils.attention import (MultiheadAttention,
                                               ShiftWindowMSA, WindowMSA,
                                               WindowMSAV2)
from torch import Tensor

from sgmim.models.utils.fused_window_attention import (FusedWindowMSA,
                                                       FusedWindowMSAV2,
                                                       relative_position_bias)
from .attention import (attention_distance, attention_entropy,
                        head_kl_divergence)

Stride = Union[int, Tuple[int, int]]
# window attention whose probabilities window_attention() recomputes
# exactly: mmpretrain's, and the fused SDPA path (the same layer)
WINDOW_FORWARDS = (WindowMSA.forward, WindowMSAV2.forward,
                   FusedWindowMSA.forward, FusedWindowMSAV2.forward)


class AttentionRecord(NamedTuple):
    """The attention one layer applied during one forward.

    Attributes:
        attn (Tensor): (B', H, N, N) probabilities; B' = images (ViT) or
            images × windows (Swin, batch-major, windows row-major).
        coords (Tensor): (B' or 1, N − P, 2) float (y, x) pixel centres of
            the spatial tokens (the last N − P).
        valid (Tensor | None): (B' or 1, N − P, N − P) bool valid pairs of
            spatial tokens, or None when all are valid.
        num_prefix_tokens (int): P, the leading non-spatial tokens (CLS).
        shift_size (int): the cyclic shift the windows used (mmpretrain
            turns it off where the map is one window and ``pad_small_map``
            is False); 0 for ViT.
    """
    attn: Tensor
    coords: Tensor
    valid: Optional[Tensor]
    num_prefix_tokens: int = 0
    shift_size: int = 0


def _encoder(model: nn.Module) -> Tuple[str, nn.Module]:
    """(name prefix, module) of the image encoder: ``model.backbone`` if the
    model has one, else the model itself."""
    backbone = getattr(model, 'backbone', None)
    if isinstance(backbone, nn.Module):
        return 'backbone.', backbone
    return '', model


def _kind(module: nn.Module) -> Optional[str]:
    """'vit', 'window' or None (not a supported attention module). Subclasses
    that override ``forward`` are not supported: their attention may differ
    from the one recomputed here."""
    if (isinstance(module, MultiheadAttention)
            and type(module).forward is MultiheadAttention.forward):
        return 'vit'
    if (isinstance(module, ShiftWindowMSA)
            and type(module).forward is ShiftWindowMSA.forward
            and type(module.w_msa).forward in WINDOW_FORWARDS):
        return 'window'
    return None


def _looks_like_attention(module: nn.Module) -> bool:
    name = type(module).__name__
    return 'Attention' in name or 'MSA' in name


def default_attention_layers(model: nn.Module) -> List[str]:
    """Names (as in ``model.named_modules()``) of the supported attention
    modules of the encoder, in forward order: mmpretrain's ViT
    ``MultiheadAttention`` and Swin/SwinV2 ``ShiftWindowMSA`` (subclassed
    backbones included), under ``backbone.`` when the model has a backbone
    (mmpretrain classifiers and self-supervised algorithms, mmseg, mmdet).

    Raises:
        ValueError: If the encoder has none (naming any attention-like module
            it has that is not supported).
    """
    prefix, encoder = _encoder(model)
    names, other, seen = [], [], []
    for name, module in encoder.named_modules():
        if any(name.startswith(n + '.') for n in seen):
            continue
        if _kind(module) is not None:
            names.append(prefix + name)
            seen.append(name)
        elif _looks_like_attention(module):
            cls = type(module)
            other.append(f'{prefix + name} ({cls.__module__}.'
                         f'{cls.__qualname__})')
            seen.append(name)
    if not names:
        found = (f'; unsupported attention-like modules: {", ".join(other)}'
                 if other else '')
        raise ValueError(
            f'{type(model).__name__} has no supported attention module (ViT '
            'MultiheadAttention, Swin/SwinV2 ShiftWindowMSA of mmpretrain) '
            f'in its {"backbone" if prefix else "modules"}{found}')
    return names


def vit_attention(module: MultiheadAttention, x: Tensor) -> Tensor:
    """The (B, H, N, N) attention ``module`` applies to its input x (B, N,
    C_in) (module docstring)."""
    batch, tokens, _ = x.shape
    qkv = module.qkv(x).reshape(batch, tokens, 3, module.num_heads,
                                module.head_dims).permute(2, 0, 3, 1, 4)
    q, k = qkv[0], qkv[1]
    sdpa = module.scaled_dot_product_attention
    if isinstance(sdpa, partial):
        # scaled_dot_product_attention_pyimpl: logits = q kᵀ / (scale or √d)
        divisor = sdpa.keywords.get('scale') or q.size(-1)**0.5
        logits = q @ k.transpose(-2, -1) / divisor
    else:
        logits = q @ k.transpose(-2, -1) * q.size(-1)**-0.5
    return logits.softmax(-1)


def window_attention(w_msa: nn.Module, x: Tensor,
                     mask: Optional[Tensor]) -> Tensor:
    """The (B·nW, H, N, N) attention a ``WindowMSA`` / ``WindowMSAV2``
    applies to windows x (B·nW, N, C) with the shift mask (nW, N, N)."""
    windows, tokens, channels = x.shape
    heads = w_msa.num_heads
    if isinstance(w_msa, WindowMSAV2):
        bias = None
        if w_msa.q_bias is not None:
            bias = torch.cat((w_msa.q_bias, torch.zeros_like(w_msa.v_bias),
                              w_msa.v_bias))
        qkv = F.linear(x, w_msa.qkv.weight, bias)
    else:
        qkv = w_msa.qkv(x)
    qkv = qkv.reshape(windows, tokens, 3, heads,
                      channels // heads).permute(2, 0, 3, 1, 4)
    q, k = qkv[0], qkv[1]
    if isinstance(w_msa, WindowMSAV2):
        logits = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(
            -2, -1)
        logits = logits * torch.clamp(
            w_msa.logit_scale, max=np.log(1. / 0.01)).exp()
    else:
        logits = (q * w_msa.scale) @ k.transpose(-2, -1)
    logits = logits + relative_position_bias(w_msa).unsqueeze(0)
    if mask is not None:
        num_windows = mask.shape[0]
        logits = (logits.view(windows // num_windows, num_windows, heads,
                              tokens, tokens) + mask[None, :, None]).view(
                                  windows, heads, tokens, tokens)
    return logits.softmax(-1)


def window_geometry(hw_shape: Tuple[int, int], window_size: int,
                    shift_size: int, stride: Tuple[int, int],
                    mask: Optional[Tensor]) -> Tuple[Tensor, Optional[Tensor]]:
    """Token centres and valid pairs of the windows of one image.

    The map (H, W) is zero-padded to multiples of ``window_size``, rolled by
    −``shift_size`` and cut into row-major windows (``ShiftWindowMSA``).
    Window token (r, c) of the rolled padded map sits at
    ``((r + shift) mod H_pad, (c + shift) mod W_pad)`` of the image's token
    map, centre ``(· + ½)·stride`` pixels.

    Returns:
        tuple: coords (nW, N, 2) float64 pixels (y, x); valid (nW, N, N) bool
        -- both tokens inside the map and allowed by ``mask`` (0 allowed,
        −100 forbidden) -- or None if all pairs are.
    """
    height, width = hw_shape
    pad_h = -(-height // window_size) * window_size
    pad_w = -(-width // window_size) * window_size
    ys = (torch.arange(pad_h) + shift_size) % pad_h
    xs = (torch.arange(pad_w) + shift_size) % pad_w
    pos = torch.stack(torch.meshgrid(ys, xs, indexing='ij'), -1)
    pos = pos.view(pad_h // window_size, window_size, pad_w // window_size,
                   window_size, 2).permute(0, 2, 1, 3, 4).reshape(
                       -1, window_size**2, 2)
    inside = (pos[..., 0] < height) & (pos[..., 1] < width)
    valid = inside.unsqueeze(-1) & inside.unsqueeze(-2)
    if mask is not None:
        valid = valid & (mask.to(valid.device) == 0)
    coords = (pos.to(torch.float64) + .5) * torch.tensor(
        stride, dtype=torch.float64)
    return coords, None if valid.all() else valid


def map_stride(name: str, image_hw: Optional[Tuple[int, int]],
               map_hw: Tuple[int, int],
               strides: Dict[str, Stride]) -> Tuple[int, int]:
    """Pixels per token (sy, sx) of the map ``map_hw`` of layer ``name``:
    ``strides[name]`` if given, else ``image_hw / map_hw``, which must be
    integers (an input padded inside the network, e.g. 100 px through
    stride 32, has no exact token stride)."""
    if name in strides:
        given = strides[name]
        return (given, given) if isinstance(given, int) else tuple(given)
    if image_hw is None:
        raise RuntimeError(f'{name}: the encoder was not called with images '
                           'before it, so its stride is unknown; forward the '
                           'encoder (or pass strides)')
    if any(i % m for i, m in zip(image_hw, map_hw)):
        raise ValueError(
            f'{name}: its {tuple(map_hw)} token map does not divide the '
            f'{tuple(image_hw)} input, so its stride is ambiguous; use an '
            f'input size divisible by the network stride or pass '
            f'strides={{{name!r}: ...}}')
    return tuple(i // m for i, m in zip(image_hw, map_hw))


class AttentionCapture:
    """Record the attention of named modules during forwards (context
    manager; hooks live inside ``with``).

    Args:
        model (nn.Module): the model; its encoder is ``model.backbone`` if
            present, else the model, and receives the images (B, C, H, W) as
            its first argument.
        layer_names (Sequence[str]): module names, e.g. from
            :func:`default_attention_layers`.
        strides (dict, optional): pixels per token, per layer name (int or
            (sy, sx)), overriding ``input size / map size``.

    After a forward, ``records[name]`` is an :class:`AttentionRecord`;
    :meth:`clear` before the next forward (a second capture of a layer
    without it raises, as does an unknown or unsupported name).

    Example:
        >>> with AttentionCapture(model, default_attention_layers(model)) \\
        ...         as capture:
        ...     model.backbone(images)
        ...     stats = {n: attention_statistics(r)
        ...              for n, r in capture.records.items()}
    """

    def __init__(self, model: nn.Module, layer_names: Sequence[str],
                 strides: Optional[Dict[str, Stride]] = None) -> None:
        self.model = model
        self.prefix, self.encoder = _encoder(model)
        modules = dict(model.named_modules())
        self.layers = {}
        for name in layer_names:
            if name not in modules:
                near = difflib.get_close_matches(name, list(modules), n=5)
                raise KeyError(f'{name!r} is not a module of '
                               f'{type(model).__name__}; nearest: {near}')
            if _kind(modules[name]) is None:
                raise ValueError(
                    f'{name!r} ({type(modules[name]).__name__}) is not a '
                    'supported attention module; supported: '
                    f'{default_attention_layers(model)}')
            if not name.startswith(self.prefix):
                raise ValueError(f'{name!r} is outside the encoder '
                                 f'{self.prefix.rstrip(".")!r}')
            self.layers[name] = modules[name]
        if (any(_kind(m) == 'vit' for m in self.layers.values())
                and not isinstance(getattr(self.encoder, 'patch_embed', None),
                                   nn.Module)):
            raise ValueError('ViT attention needs the encoder\'s patch_embed '
                             'to know the token grid; '
                             f'{type(self.encoder).__name__} has none')
        self.strides = dict(strides or {})
        self.records: Dict[str, AttentionRecord] = {}
        self._handles = []
        self._image_hw = None
        self._grid = None
        self._hw_shape = {}

    def clear(self) -> None:
        """Drop the records (call between batches)."""
        self.records = {}

    def __enter__(self) -> 'AttentionCapture':
        hook = self.encoder.register_forward_pre_hook
        self._handles.append(hook(self._on_encoder))
        if any(_kind(m) == 'vit' for m in self.layers.values()):
            self._handles.append(
                self.encoder.patch_embed.register_forward_hook(self._on_grid))
        for name, module in self.layers.items():
            if _kind(module) == 'vit':
                self._handles.append(module.register_forward_pre_hook(
                    partial(self._on_vit, name)))
            else:
                self._handles.append(module.register_forward_pre_hook(
                    partial(self._on_shift_window, name)))
                self._handles.append(module.w_msa.register_forward_pre_hook(
                    partial(self._on_window, name), with_kwargs=True))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def _on_encoder(self, module, args) -> None:
        images = args[0] if args else None
        if not isinstance(images, Tensor) or images.dim() != 4:
            raise ValueError(
                'the encoder must receive images (B, C, H, W) as its first '
                f'argument, got {getattr(images, "shape", type(images))}')
        self._image_hw = tuple(images.shape[-2:])

    def _on_grid(self, module, args, output) -> None:
        if not (isinstance(output, tuple) and len(output) == 2):
            raise ValueError('patch_embed must return (tokens, (h, w))')
        self._grid = tuple(int(s) for s in output[1])

    def _store(self, name: str, record: AttentionRecord) -> None:
        if name in self.records:
            raise RuntimeError(f'{name} was already captured in this batch; '
                               'call clear() between forwards')
        self.records[name] = record

    @torch.no_grad()
    def _on_vit(self, name, module, args) -> None:
        x = args[0]
        if self._grid is None:
            raise RuntimeError(f'{name}: patch_embed did not run before it')
        h, w = self._grid
        prefix = x.shape[1] - h * w
        if prefix < 0:
            raise ValueError(f'{name}: {x.shape[1]} tokens for a {h}x{w} grid')
        sy, sx = map_stride(name, self._image_hw, (h, w), self.strides)
        ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64) + .5,
                                torch.arange(w, dtype=torch.float64) + .5,
                                indexing='ij')
        coords = torch.stack([ys.flatten() * sy, xs.flatten() * sx], -1)
        self._store(name, AttentionRecord(
            vit_attention(module, x).detach(), coords[None].to(x.device),
            None, prefix))

    def _on_shift_window(self, name, module, args) -> None:
        self._hw_shape[name] = tuple(int(s) for s in args[1])

    @torch.no_grad()
    def _on_window(self, name, w_msa, args, kwargs) -> None:
        x = args[0]
        mask = kwargs['mask'] if 'mask' in kwargs else (
            args[1] if len(args) > 1 else None)
        shift_msa = self.layers[name]
        hw_shape = self._hw_shape.pop(name)
        size = shift_msa.window_size
        shift = shift_msa.shift_size
        if min(hw_shape) == size and not shift_msa.pad_small_map:
            shift = 0
        if (mask is None) != (shift == 0):
            raise RuntimeError(f'{name}: shift mask and shift size disagree')
        stride = map_stride(name, self._image_hw, hw_shape, self.strides)
        coords, valid = window_geometry(hw_shape, size, shift, stride, mask)
        repeat = x.shape[0] // coords.shape[0]
        if repeat * coords.shape[0] != x.shape[0]:
            raise RuntimeError(f'{name}: {x.shape[0]} windows is not a '
                               f'multiple of {coords.shape[0]} per image')
        coords = coords.to(x.device).repeat(repeat, 1, 1)
        if valid is not None:
            valid = valid.to(x.device).repeat(repeat, 1, 1)
        self._store(name, AttentionRecord(
            window_attention(w_msa, x, mask).detach(), coords, valid, 0,
            shift))


def attention_statistics(record: AttentionRecord,
                         kl_mode: str = 'pairwise') -> Dict[str, object]:
    """Per-head distance, entropy and head KL of one record.

    All three are computed over the spatial tokens: prefix tokens (CLS) are
    dropped as queries and keys and the rows renormalised (REFERENCE §5),
    with the record's ``valid`` pairs (Swin: within the shift regions, no
    padding); each (image or window, query) row with a valid key weighs the
    same.

    Returns:
        dict: ``distance`` (H,) pixels, ``entropy`` (H,) nats, ``kl`` (H,)
        (:func:`~sgmim.analysis.attention.head_kl_divergence` with
        ``kl_mode``; NaN for a one-head layer in 'pairwise' mode, which has
        no other head), all float64, and ``weight``: the number of query rows
        averaged, to combine batches as a weighted mean.
    """
    p = record.num_prefix_tokens
    attn = record.attn[..., p:, p:]
    if record.valid is None:
        weight = attn.shape[0] * attn.shape[-1]
    else:
        rows = record.valid.any(-1).sum().item()
        weight = rows * attn.shape[0] // record.valid.shape[0]
    if kl_mode == 'pairwise' and attn.shape[-3] == 1:
        kl = torch.full((1, ), float('nan'), dtype=torch.float64,
                        device=attn.device)
    else:
        kl = head_kl_divergence(attn, kl_mode, record.valid)
    return dict(
        distance=attention_distance(attn, record.coords, 1., record.valid),
        entropy=attention_entropy(attn, record.valid),
        kl=kl,
        weight=int(weight))

"""Swin / SwinV2 window attention through
``torch.nn.functional.scaled_dot_product_attention``.

mmpretrain's ``WindowMSA`` and ``WindowMSAV2`` form the attention matrix
step by step (``q·kᵀ``, the bias, the shift mask, softmax, dropout, ``·v``,
each its own kernel). The fused classes here compute the same layer with
one SDPA call, the relative position bias and the shift mask folded into
its additive ``attn_mask``::

    Swin    softmax(s · q kᵀ + B + M) v             s = d^-1/2
    SwinV2  softmax(τ · q̂ k̂ᵀ + 16 σ(CPB) + M) v    q̂ = q / ‖q‖, k̂ = k / ‖k‖
            = SDPA(τ · q̂, k̂, v, attn_mask=16 σ(CPB) + M, scale=1)

with ``B`` the learned relative position bias (H, N, N), ``CPB`` SwinV2's
continuous position bias, ``τ = exp(min(logit_scale, log 100))`` per head
and ``M`` the shift mask (0 / −100 per window pair). They subclass
mmpretrain's classes and override ``forward`` only: same parameters,
buffers and state-dict keys, same outputs (tested in float64 with shifted
and padded windows). :func:`fuse_window_attention` switches a built model
in place; ``FusedWindowAttentionHook`` does it from a config.
"""
import numpy as np
import torch
import torch.nn.functional as F
from mmpretrain.models.utils import WindowMSA, WindowMSAV2
from torch import Tensor, nn

__all__ = ['FusedWindowMSA', 'FusedWindowMSAV2', 'fuse_window_attention',
           'relative_position_bias']


def relative_position_bias(w_msa: nn.Module) -> Tensor:
    """The (H, N, N) position bias a ``WindowMSA`` (its learned table) or
    ``WindowMSAV2`` (``16 · sigmoid`` of its continuous position bias)
    adds to the attention logits of a window of N tokens."""
    tokens = w_msa.window_size[0] * w_msa.window_size[1]
    if isinstance(w_msa, WindowMSAV2):
        table = w_msa.cpb_mlp(w_msa.relative_coords_table).view(
            -1, w_msa.num_heads)
    else:
        table = w_msa.relative_position_bias_table
    bias = table[w_msa.relative_position_index.view(-1)].view(
        tokens, tokens, -1).permute(2, 0, 1)
    return 16 * torch.sigmoid(bias) if isinstance(w_msa, WindowMSAV2) \
        else bias


def _attention_mask(bias: Tensor, mask, windows: int) -> Tensor:
    """``bias`` (H, N, N) plus the shift mask (nW, N, N) of each of the
    ``windows`` = B·nW windows: (B·nW, H, N, N), or (1, H, N, N) without a
    mask."""
    if mask is None:
        return bias.unsqueeze(0)
    num_windows = mask.shape[0]
    full = bias.unsqueeze(0) + mask.to(bias.dtype).unsqueeze(1)
    return full.repeat(windows // num_windows, 1, 1, 1)


def _qkv(w_msa: nn.Module, x: Tensor, bias=None):
    windows, tokens, channels = x.shape
    qkv = F.linear(x, w_msa.qkv.weight,
                   w_msa.qkv.bias if bias is None else bias)
    return qkv.reshape(windows, tokens, 3, w_msa.num_heads,
                       channels // w_msa.num_heads).permute(2, 0, 3, 1, 4)


def _merge_heads(w_msa: nn.Module, out: Tensor) -> Tensor:
    windows, _, tokens, _ = out.shape
    out = out.transpose(1, 2).reshape(windows, tokens, -1)
    return w_msa.proj_drop(w_msa.proj(out))


class FusedWindowMSA(WindowMSA):
    """``WindowMSA`` through one SDPA call (module docstring)."""

    def forward(self, x: Tensor, mask=None) -> Tensor:
        """Windows x (B·nW, N, C), shift mask (nW, N, N) or None."""
        q, k, v = _qkv(self, x)
        attn_mask = _attention_mask(relative_position_bias(self), mask,
                                    x.shape[0]).to(q.dtype)
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, scale=self.scale,
            dropout_p=self.attn_drop.p if self.training else 0.)
        return _merge_heads(self, out)


class FusedWindowMSAV2(WindowMSAV2):
    """``WindowMSAV2`` (cosine attention) through one SDPA call: the
    normalised queries carry the learned per-head scale (module
    docstring)."""

    def forward(self, x: Tensor, mask=None) -> Tensor:
        """Windows x (B·nW, N, C), shift mask (nW, N, N) or None."""
        bias = None
        if self.q_bias is not None:
            bias = torch.cat((self.q_bias, torch.zeros_like(self.v_bias),
                              self.v_bias))
        q, k, v = _qkv(self, x, bias)
        logit_scale = torch.clamp(self.logit_scale,
                                  max=np.log(1. / 0.01)).exp()
        q = F.normalize(q, dim=-1) * logit_scale
        attn_mask = _attention_mask(relative_position_bias(self), mask,
                                    x.shape[0]).to(q.dtype)
        out = F.scaled_dot_product_attention(
            q, F.normalize(k, dim=-1), v, attn_mask=attn_mask, scale=1.,
            dropout_p=self.attn_drop.p if self.training else 0.)
        return _merge_heads(self, out)


FUSED = {WindowMSA: FusedWindowMSA, WindowMSAV2: FusedWindowMSAV2}


def fuse_window_attention(model: nn.Module) -> int:
    """Switch every ``WindowMSA`` / ``WindowMSAV2`` of ``model`` (exactly
    those classes: a subclass with its own ``forward`` is left alone) to
    its fused class, in place; parameters, buffers and hooks stay.

    Returns:
        int: The number of attention modules switched.
    """
    count = 0
    for module in model.modules():
        fused = FUSED.get(type(module))
        if fused is not None:
            module.__class__ = fused
            count += 1
    return count

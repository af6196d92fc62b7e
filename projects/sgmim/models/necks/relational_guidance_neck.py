"""SG-MIM relational guidance: structure features fused into the image latent
by cross-attention (REFERENCE.md §1, "fusion")."""
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from mmengine.utils import to_2tuple
from torch import nn

from mmpretrain.registry import MODELS
from ..utils import gather_tokens, uniform_index
from .structure_extractors import token_visibility


class CrossAttention(nn.Module):
    """Multi-head cross-attention with a key mask.

    ``MHCA(q, c) = Proj(concat_h softmax(q W_q^h (c W_k^h)^T / sqrt(d_h)
    + log keep) c W_v^h)``; keys with ``keep = False`` get zero weight.

    Args:
        embed_dims (int): Width of queries and context.
        num_heads (int): Number of heads.
        qkv_bias (bool): Bias of the q, k, v projections.
    """

    def __init__(self, embed_dims: int, num_heads: int,
                 qkv_bias: bool) -> None:
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims {embed_dims} is not divisible by '
                             f'num_heads {num_heads}')
        self.num_heads = num_heads
        self.q = nn.Linear(embed_dims, embed_dims, bias=qkv_bias)
        self.kv = nn.Linear(embed_dims, 2 * embed_dims, bias=qkv_bias)
        self.proj = nn.Linear(embed_dims, embed_dims)

    def forward(self, query: torch.Tensor, context: torch.Tensor,
                keep: Optional[torch.Tensor]) -> torch.Tensor:
        """(B, Nq, C), (B, Nk, C), bool (B, Nk) with a True per row (or None:
        every key kept) -> (B, Nq, C)."""
        B, Nq, C = query.shape
        q = self.q(query).reshape(B, Nq, self.num_heads, -1).transpose(1, 2)
        k, v = self.kv(context).reshape(B, -1, 2, self.num_heads,
                                        C // self.num_heads).permute(
                                            2, 0, 3, 1, 4)
        mask = None if keep is None else keep[:, None, None]
        x = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.proj(x.transpose(1, 2).reshape(B, Nq, C))


@MODELS.register_module()
class RelationalGuidanceNeck(BaseModule):
    """Fuse structure features ``S_F`` into the image latent ``I_F``.

    One pre-norm cross-attention block (REFERENCE.md §1)::

        I_SF = I_F + MHCA(Q = LN(I_F) + pos, K = V = LN(S_F) + pos)
        I_SF = I_SF + MLP(LN(I_SF))          # Linear-GELU-Linear, ratio 4

    ``S_F`` comes from ``extractor``; structure tokens that are masked (no map
    information) are not attended. A sample with no visible structure token
    gets no attention term (``I_SF = I_F + MLP(LN(I_F))``).

    ``forward_tokens`` computes the block for the given query tokens only
    (SG-MIM: the tokens holding an image-visible pixel, the only ones that
    reach the structure loss), against the given visible structure tokens
    only (``visible_key_index``; else against all, masked as in
    ``forward``); its values are those of ``forward`` at these tokens. The
    indices are passed in so that the caller can compute them before the
    encoder runs: finding them reads counts back from the device.

    Args:
        in_channels (int): Width C of ``I_F`` (the encoder's last stage).
        input_size (int | tuple[int, int]): Input image size (H, W).
        stride (int): The encoder's total stride; with ``input_size`` sizes
            the learnable position embedding (H / stride, W / stride).
        extractor (dict): Config of the structure feature extractor
            (``MLPStructureExtractor``, ``TransformerStructureExtractor`` or
            ``SiameseStructureExtractor``), whose output width must be C.
        num_heads (int): Cross-attention heads. Defaults to 8.
        mlp_ratio (float): MLP hidden width over C. Defaults to 4.
        qkv_bias (bool): Bias of the q, k, v projections. Defaults to False.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 input_size: Union[int, Tuple[int, int]],
                 stride: int,
                 extractor: dict,
                 num_heads: int = 8,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        size = to_2tuple(input_size)
        if size[0] % stride or size[1] % stride:
            raise ValueError(f'input_size {size} is not a multiple of the '
                             f'stride {stride}')
        self.in_channels = in_channels
        self.grid = (size[0] // stride, size[1] // stride)
        self.extractor = MODELS.build(extractor)
        self.pos_embed = nn.Parameter(
            torch.zeros(1, self.grid[0] * self.grid[1], in_channels))
        trunc_normal_(self.pos_embed, std=.02)
        self.norm_query = nn.LayerNorm(in_channels)
        self.norm_context = nn.LayerNorm(in_channels)
        self.attn = CrossAttention(in_channels, num_heads, qkv_bias)
        self.norm_mlp = nn.LayerNorm(in_channels)
        hidden = int(in_channels * mlp_ratio)
        self.mlp = nn.Sequential(
            nn.Linear(in_channels, hidden), nn.GELU(),
            nn.Linear(hidden, in_channels))

    def forward(self,
                img_feat: torch.Tensor,
                structure_map: torch.Tensor,
                structure_mask: torch.Tensor,
                encoder: Optional[nn.Module] = None) -> torch.Tensor:
        """Relational guidance on every token.

        Args:
            img_feat (Tensor): ``I_F`` (B, C, h, w), the encoder's last stage.
            structure_map (Tensor): (B, 1, H, W).
            structure_mask (Tensor): (B, h0, w0), 1 = masked map patch.
            encoder (nn.Module, optional): The image encoder, needed by
                ``SiameseStructureExtractor`` only.

        Returns:
            Tensor: ``I_SF`` (B, C, h, w).
        """
        B, C, h, w = self._check_feat(img_feat)
        struct_feat, visible = self.extractor(structure_map, structure_mask,
                                              encoder)
        if struct_feat.shape != (B, h * w, C):
            raise ValueError(
                f'structure features shape {tuple(struct_feat.shape)} does '
                f'not match the image tokens shape {(B, h * w, C)}')
        pos = self.pos_embed[0]
        fused = self._block(
            img_feat.flatten(2).transpose(1, 2), pos, struct_feat, pos,
            visible)
        return fused.transpose(1, 2).reshape(B, C, h, w)

    def visible_key_index(self, structure_mask: torch.Tensor
                          ) -> Optional[torch.Tensor]:
        """Indices (B, K) of the visible structure tokens for
        ``forward_tokens``; None when the samples' counts differ or are 0
        (see ``uniform_index``: one read-back from the device)."""
        return uniform_index(token_visibility(structure_mask, self.grid))

    def forward_tokens(self,
                       img_feat: torch.Tensor,
                       structure_map: torch.Tensor,
                       structure_mask: torch.Tensor,
                       query_index: torch.Tensor,
                       key_index: Optional[torch.Tensor],
                       encoder: Optional[nn.Module] = None) -> torch.Tensor:
        """Relational guidance computed for the query tokens only.

        Args:
            img_feat (Tensor): ``I_F`` (B, C, h, w), the encoder's last stage.
            structure_map (Tensor): (B, 1, H, W).
            structure_mask (Tensor): (B, h0, w0), 1 = masked map patch.
            query_index (Tensor): long (B, K), the tokens (``i * w + j``)
                whose fused value is wanted.
            key_index (Tensor, optional): long (B, K'), every visible
                structure token (``visible_key_index``): the only keys
                computed. None: every structure token is computed and the
                masked ones are left out of attention, as in ``forward``.
            encoder (nn.Module, optional): As in ``forward``.

        Returns:
            Tensor: (B, K, C), equal to ``forward``'s ``I_SF`` at
            ``query_index``.
        """
        B, C, h, w = self._check_feat(img_feat)
        for name, index in (('query_index', query_index),
                            ('key_index', key_index)):
            if index is not None and (index.dim() != 2
                                      or index.shape[0] != B):
                raise ValueError(f'{name} must be (B={B}, K), got shape '
                                 f'{tuple(index.shape)}')
        pos = self.pos_embed[0]
        query = gather_tokens(img_feat.flatten(2).transpose(1, 2),
                              query_index)
        if key_index is None:
            struct_feat, visible = self.extractor(structure_map,
                                                  structure_mask, encoder)
            return self._block(query, pos[query_index], struct_feat, pos,
                               visible)
        struct_feat = self.extractor.tokens_at(structure_map, structure_mask,
                                               key_index, encoder)
        return self._block(query, pos[query_index], struct_feat,
                           pos[key_index], None)

    def _check_feat(self, img_feat: torch.Tensor) -> torch.Size:
        """The (B, C, h, w) shape of ``I_F``, checked against the config."""
        expected = (img_feat.shape[0], self.in_channels, *self.grid)
        if tuple(img_feat.shape) != expected:
            raise ValueError(
                f'img_feat shape {tuple(img_feat.shape)} does not match '
                f'(B, in_channels, *input_size / stride) = {expected}')
        return img_feat.shape

    def _block(self, x: torch.Tensor, x_pos: torch.Tensor,
               context: torch.Tensor, context_pos: torch.Tensor,
               keep: Optional[torch.Tensor]) -> torch.Tensor:
        """The pre-norm block on (B, Nq, C) queries and (B, Nk, C) context
        with their position embeddings; ``keep`` bool (B, Nk) names the keys
        to attend (None: all). A sample with no key kept gets no attention
        term."""
        query = self.norm_query(x) + x_pos
        context = self.norm_context(context) + context_pos
        if keep is None:
            x = x + self.attn(query, context, None)
        else:
            has_keys = keep.any(1)
            keep = keep | ~has_keys[:, None]  # all-masked rows: no NaN
            attn = self.attn(query, context, keep)
            x = x + attn * has_keys[:, None, None].type_as(attn)
        return x + self.mlp(self.norm_mlp(x))

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

    ``forward`` takes an optional ``query_mask`` (B, N) naming the tokens
    whose fused output is needed (SG-MIM: tokens with an image-visible pixel,
    the only ones that reach the structure loss). The block is then computed
    for those query tokens only, against the visible structure tokens only,
    gathered into dense tensors when every sample has the same number of each
    (else the full computation is run); the other tokens are returned as
    ``I_F`` unchanged: their fused value is not computed because nothing
    downstream reads it. The values at query tokens are those of the full
    computation.

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
                encoder: Optional[nn.Module] = None,
                query_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Relational guidance.

        Args:
            img_feat (Tensor): ``I_F`` (B, C, h, w), the encoder's last stage.
            structure_map (Tensor): (B, 1, H, W).
            structure_mask (Tensor): (B, h0, w0), 1 = masked map patch.
            encoder (nn.Module, optional): The image encoder, needed by
                ``SiameseStructureExtractor`` only.
            query_mask (Tensor, optional): bool (B, h * w), True = token whose
                fused output is needed. Defaults to None (all tokens).

        Returns:
            Tensor: ``I_SF`` (B, C, h, w); with ``query_mask``, equal to
            ``I_F`` (not fused) at the tokens it leaves out.
        """
        B, C, h, w = img_feat.shape
        if (C, h, w) != (self.in_channels, *self.grid):
            raise ValueError(
                f'img_feat shape {tuple(img_feat.shape)} does not match '
                f'(B, in_channels, *input_size / stride) = '
                f'{(B, self.in_channels, *self.grid)}')
        struct_feat, visible = self.extractor(structure_map, structure_mask,
                                              encoder)
        if struct_feat.shape != (B, h * w, C):
            raise ValueError(
                f'structure features shape {tuple(struct_feat.shape)} does '
                f'not match the image tokens shape {(B, h * w, C)}')
        x = img_feat.flatten(2).transpose(1, 2)
        if query_mask is not None:
            if query_mask.shape != (B, h * w):
                raise ValueError(
                    f'query_mask shape {tuple(query_mask.shape)} does not '
                    f'match the image tokens shape {(B, h * w)}')
            query_mask = query_mask.to(device=x.device, dtype=torch.bool)
            fused = self._fuse_gathered(x, struct_feat, visible, query_mask)
            if fused is not None:
                return fused.transpose(1, 2).reshape(B, C, h, w)
        fused = self._fuse(x, struct_feat, visible)
        if query_mask is not None:
            fused = torch.where(query_mask[..., None], fused, x)
        return fused.transpose(1, 2).reshape(B, C, h, w)

    def _fuse(self, x: torch.Tensor, struct_feat: torch.Tensor,
              visible: torch.Tensor) -> torch.Tensor:
        """The block on all (B, N, C) tokens, keys masked by ``visible``."""
        has_visible = visible.any(1)
        keep = visible | ~has_visible[:, None]  # all-masked rows: no NaN
        attn = self.attn(self.norm_query(x) + self.pos_embed,
                         self.norm_context(struct_feat) + self.pos_embed, keep)
        x = x + attn * has_visible[:, None, None].type_as(attn)
        return x + self.mlp(self.norm_mlp(x))

    def _fuse_gathered(self, x: torch.Tensor, struct_feat: torch.Tensor,
                       visible: torch.Tensor,
                       query_mask: torch.Tensor) -> Optional[torch.Tensor]:
        """The block on the query tokens and visible keys gathered into dense
        tensors, scattered back into ``x``; None when the per-sample counts
        differ (or are 0: the full computation then keeps every parameter's
        gradient defined)."""
        B, N, C = x.shape
        num_q, num_k = query_mask.sum(1), visible.sum(1)
        if not (bool((num_q == num_q[0]).all())
                and bool((num_k == num_k[0]).all())
                and int(num_q[0]) > 0 and int(num_k[0]) > 0):
            return None
        # nonzero lists each row's indices in order, rows one after another
        q_idx = query_mask.nonzero()[:, 1].view(B, -1)
        k_idx = visible.nonzero()[:, 1].view(B, -1)
        pos = self.pos_embed[0]
        q_feat = x.gather(1, q_idx[..., None].expand(-1, -1, C))
        k_feat = struct_feat.gather(1, k_idx[..., None].expand(-1, -1, C))
        attn = self.attn(self.norm_query(q_feat) + pos[q_idx],
                         self.norm_context(k_feat) + pos[k_idx], None)
        q_feat = q_feat + attn
        q_feat = q_feat + self.mlp(self.norm_mlp(q_feat))
        return x.scatter(1, q_idx[..., None].expand(-1, -1, C), q_feat)

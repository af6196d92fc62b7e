"""Structure feature extractors of SG-MIM's relational guidance framework.

Each extractor turns the structured-knowledge map ``s`` (pseudo-depth) and its
patch mask ``M_S`` into structure features ``S_F`` on the token grid of the
image encoder's last stage, plus the boolean mask of the tokens that carry map
information::

    S_F, visible = extractor(structure_map, structure_mask, encoder)
    # structure_map (B, 1, H, W), structure_mask (B, h0, w0), 1 = masked
    # S_F (B, N, C), visible (B, N) bool, N = (H / stride) * (W / stride)

A token is visible iff none of the model patches it covers is masked. Masked
tokens carry no map information: their features are zero before any learnable
layer and :class:`RelationalGuidanceNeck` never attends to them, so the
extractors have no mask token (it would never receive a gradient).

``extractor.tokens_at(structure_map, structure_mask, index, encoder)`` gives
``S_F`` at the tokens ``index`` (B, K) only, (B, K, C): what the sparse path
of the fusion needs (the visible tokens). The MLP extractor computes just
those tokens; the others compute every token and gather.
"""
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_
from mmengine.utils import to_2tuple
from torch import nn

from mmpretrain.registry import MODELS
from ..utils import gather_tokens, patchify


def token_visibility(structure_mask: torch.Tensor,
                     grid: Tuple[int, int]) -> torch.Tensor:
    """Pool a patch mask to a coarser token grid.

    ``visible[b, t] = 1 - max_{p in t} M_S[b, p]``: a token is visible iff none
    of the mask patches it covers is masked.

    Args:
        structure_mask (Tensor): (B, h0, w0), 1 = masked patch.
        grid (tuple[int, int]): token grid (h, w); h0 % h == w0 % w == 0.

    Returns:
        Tensor: bool (B, h * w), True = visible token.
    """
    if structure_mask.dim() != 3:
        raise ValueError('structure_mask must be (B, h0, w0), got shape '
                         f'{tuple(structure_mask.shape)}')
    (h0, w0), (h, w) = structure_mask.shape[1:], grid
    if h0 % h or w0 % w:
        raise ValueError(f'structure_mask grid {(h0, w0)} is not a multiple '
                         f'of the token grid {(h, w)}')
    masked = F.max_pool2d(structure_mask[:, None].float(), (h0 // h, w0 // w))
    return masked.flatten(1) == 0


def _check_map(structure_map: torch.Tensor, stride: int) -> None:
    """Validate a (B, 1, H, W) map whose sides are multiples of ``stride``."""
    if structure_map.dim() != 4 or structure_map.shape[1] != 1:
        raise ValueError('structure_map must be (B, 1, H, W), got shape '
                         f'{tuple(structure_map.shape)}')
    if structure_map.shape[2] % stride or structure_map.shape[3] % stride:
        raise ValueError(f'structure_map size {tuple(structure_map.shape[2:])}'
                         f' is not a multiple of the stride {stride}')


class StructurePatchEmbed(nn.Module):
    """Patch embedding of the visible map patches.

    ``e_t = v_t * Conv2d_{k=s=stride}(s)_t`` with ``v_t`` the token visibility
    (masked tokens are zero: they carry no map information).

    Args:
        embed_dims (int): Output width.
        stride (int): Patch size, the encoder's total stride.
    """

    def __init__(self, embed_dims: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        self.proj = nn.Conv2d(1, embed_dims, stride, stride)

    def forward(self, structure_map: torch.Tensor, structure_mask: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor, Tuple[int, int]]:
        """(B, 1, H, W), (B, h0, w0) -> tokens (B, N, D), visible (B, N),
        grid (H / stride, W / stride)."""
        _check_map(structure_map, self.stride)
        x = self.proj(structure_map)
        grid = tuple(x.shape[2:])
        visible = token_visibility(structure_mask, grid)
        x = x.flatten(2).transpose(1, 2) * visible[..., None].type_as(x)
        return x, visible, grid

    def embed_patches(self, patches: torch.Tensor) -> torch.Tensor:
        """The same embedding of (B, K, stride²) map patches (``patchify``
        order) as a linear map -> (B, K, D); no visibility applied."""
        return F.linear(patches, self.proj.weight.flatten(1), self.proj.bias)


class StructureExtractor(BaseModule):
    """Base of the extractors: ``forward`` computes every token,
    ``tokens_at`` gathers the requested ones from it."""

    def tokens_at(self,
                  structure_map: torch.Tensor,
                  structure_mask: torch.Tensor,
                  index: torch.Tensor,
                  encoder: Optional[nn.Module] = None) -> torch.Tensor:
        """``S_F`` at the tokens ``index`` (B, K): (B, K, C)."""
        struct_feat, _ = self(structure_map, structure_mask, encoder)
        return gather_tokens(struct_feat, index)


@MODELS.register_module()
class MLPStructureExtractor(StructureExtractor):
    """Shallow per-token MLP on the visible map patches (paper default).

    ``S_F = Linear(GELU(LN(Linear(... GELU(LN(Linear(e))) ...))))`` with ``e``
    the :class:`StructurePatchEmbed` tokens (PointNet-like shared MLP).

    Args:
        out_channels (int): Width C of ``S_F`` (the encoder's last stage).
        stride (int): The encoder's total stride (32 Swin, 16 ViT).
        embed_dims (int): Width of the patch embedding and hidden layers.
            Defaults to 256.
        num_layers (int): Number of Linear-LN-GELU layers before the output
            Linear. Defaults to 2.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 out_channels: int,
                 stride: int,
                 embed_dims: int = 256,
                 num_layers: int = 2,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.patch_embed = StructurePatchEmbed(embed_dims, stride)
        layers = []
        for _ in range(num_layers):
            layers += [nn.Linear(embed_dims, embed_dims),
                       nn.LayerNorm(embed_dims), nn.GELU()]
        self.mlp = nn.Sequential(*layers, nn.Linear(embed_dims, out_channels))

    def forward(self, structure_map: torch.Tensor,
                structure_mask: torch.Tensor,
                encoder: Optional[nn.Module] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """(B, 1, H, W), (B, h0, w0) -> S_F (B, N, C), visible (B, N).

        ``encoder`` is not used (the extractor is independent of it).
        """
        x, visible, _ = self.patch_embed(structure_map, structure_mask)
        return self.mlp(x), visible

    def tokens_at(self,
                  structure_map: torch.Tensor,
                  structure_mask: torch.Tensor,
                  index: torch.Tensor,
                  encoder: Optional[nn.Module] = None) -> torch.Tensor:
        """``S_F`` at the tokens ``index`` (B, K), computed for those tokens
        only (the MLP is per token): (B, K, C), equal to
        ``gather_tokens(self(...)[0], index)``."""
        stride = self.patch_embed.stride
        _check_map(structure_map, stride)
        grid = (structure_map.shape[2] // stride,
                structure_map.shape[3] // stride)
        visible = gather_tokens(token_visibility(structure_mask, grid), index)
        patches = gather_tokens(patchify(structure_map, stride), index)
        x = self.patch_embed.embed_patches(patches)
        return self.mlp(x * visible[..., None].type_as(x))


@MODELS.register_module()
class TransformerStructureExtractor(StructureExtractor):
    """Small independent Transformer on the visible map patches.

    ``S_F = Linear(LN(Enc(e + pos)))`` with ``e`` the
    :class:`StructurePatchEmbed` tokens and ``Enc`` ``depth`` pre-norm
    self-attention blocks in which masked tokens are not attended.

    Args:
        out_channels (int): Width C of ``S_F`` (the encoder's last stage).
        stride (int): The encoder's total stride.
        input_size (int | tuple[int, int]): Map size (H, W); sizes the
            learnable position embedding (H / stride, W / stride).
        embed_dims (int): Width of the Transformer. Defaults to 256.
        depth (int): Number of blocks. Defaults to 2.
        num_heads (int): Attention heads. Defaults to 8.
        mlp_ratio (float): Hidden width of the block MLPs over
            ``embed_dims``. Defaults to 4.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 out_channels: int,
                 stride: int,
                 input_size: Union[int, Tuple[int, int]],
                 embed_dims: int = 256,
                 depth: int = 2,
                 num_heads: int = 8,
                 mlp_ratio: float = 4.,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.grid = tuple(s // stride for s in to_2tuple(input_size))
        self.patch_embed = StructurePatchEmbed(embed_dims, stride)
        self.pos_embed = nn.Parameter(
            torch.zeros(1, self.grid[0] * self.grid[1], embed_dims))
        trunc_normal_(self.pos_embed, std=.02)
        layer = nn.TransformerEncoderLayer(
            embed_dims, num_heads, int(embed_dims * mlp_ratio), dropout=0.,
            activation='gelu', batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(
            layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(embed_dims)
        self.proj = nn.Linear(embed_dims, out_channels)

    def forward(self, structure_map: torch.Tensor,
                structure_mask: torch.Tensor,
                encoder: Optional[nn.Module] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """(B, 1, H, W), (B, h0, w0) -> S_F (B, N, C), visible (B, N).

        ``encoder`` is not used (the extractor is independent of it).
        """
        x, visible, grid = self.patch_embed(structure_map, structure_mask)
        if grid != self.grid:
            raise ValueError(f'structure_map token grid {grid} does not match '
                             f'the position embedding grid {self.grid}')
        # a sample without any visible token attends everything (its output
        # is never attended by the fusion) rather than producing NaN
        ignore = ~(visible | ~visible.any(1, keepdim=True))
        x = self.blocks(x + self.pos_embed, src_key_padding_mask=ignore)
        return self.proj(self.norm(x)), visible


@MODELS.register_module()
class SiameseStructureExtractor(StructureExtractor):
    """Structure features from the image encoder itself (shared weights).

    ``S_F = Enc([s, s, s], M_S)[-1]``: the map replicated to 3 channels goes
    through the SimMIM encoder with the structure mask.

    The extractor holds no parameters and no reference to the encoder: the
    caller (:class:`SGMIM`, through :class:`RelationalGuidanceNeck`) passes
    its own ``backbone`` at each call, so the weights are shared by
    construction and the state dict holds the encoder once.
    """

    def forward(self, structure_map: torch.Tensor,
                structure_mask: torch.Tensor,
                encoder: Optional[nn.Module] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """(B, 1, H, W), (B, h0, w0), encoder -> S_F (B, N, C), visible."""
        if encoder is None:
            raise ValueError('SiameseStructureExtractor needs the image '
                             'encoder: call it with encoder=backbone')
        _check_map(structure_map, 1)
        feat = encoder(structure_map.expand(-1, 3, -1, -1), structure_mask)[-1]
        visible = token_visibility(structure_mask, tuple(feat.shape[2:]))
        return feat.flatten(2).transpose(1, 2), visible

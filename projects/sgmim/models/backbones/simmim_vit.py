"""ViT encoder for SimMIM pre-training."""
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models import VisionTransformer
from mmpretrain.models.utils import resize_pos_embed
from mmpretrain.registry import MODELS

from .mask_token import replace_masked_tokens


@MODELS.register_module()
class SimMIMVisionTransformer(VisionTransformer):
    """ViT with a learnable mask token, for SimMIM pre-training.

    ``forward(x, mask)``: patch-embed ``x``; replace the embeddings of masked
    patches by the mask token ``t`` -- ``x' = x·(1 − w) + t·w`` -- *before*
    the position embedding is added (a masked patch keeps its position);
    prepend the cls token; add the position embedding (resized if the grid
    differs from ``img_size``); run the layers and the final norm. Apart from
    the substitution this is ``VisionTransformer.forward``, so with the
    defaults (``out_indices=-1``, ``out_type='featmap'``) it returns ONE map
    (B, C, H/16, W/16) of the patch tokens (cls dropped), which a SimMIM
    linear decoder with ``encoder_stride=16`` turns back into pixels.

    The state dict is that of ``VisionTransformer`` plus ``mask_token``, so
    ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``
    on a ``VisionTransformer`` loads every encoder weight; mmpretrain resizes
    ``pos_embed`` there when the image size differs.

    Args:
        arch (str | dict): ViT architecture name ('small', 'base', 'large',
            ...) or a dict with ``embed_dims``, ``num_layers``, ``num_heads``
            and ``feedforward_channels``. Defaults to 'base'.
        img_size (int | tuple): Input size of the position embedding.
            Defaults to 224.
        patch_size (int): Patch size; the mask lives on this grid.
            Defaults to 16.
        out_type (str): Output of each ``out_indices`` layer: 'featmap'
            (patch tokens as a map), 'cls_token', 'avg_featmap' or 'raw'.
            Defaults to 'featmap'.
        **kwargs: Other ``VisionTransformer`` arguments (``in_channels``,
            ``out_indices``, ``drop_rate``, ``drop_path_rate``, ``qkv_bias``,
            ``norm_cfg``, ``final_norm``, ``with_cls_token``,
            ``frozen_stages``, ``interpolate_mode``,
            ``layer_scale_init_value``, ``patch_cfg``, ``layer_cfgs``,
            ``pre_norm``, ``init_cfg``), same defaults.
    """

    def __init__(self,
                 arch: Union[str, dict] = 'base',
                 img_size: Union[int, Tuple[int, int]] = 224,
                 patch_size: int = 16,
                 out_type: str = 'featmap',
                 **kwargs) -> None:
        super().__init__(
            arch=arch,
            img_size=img_size,
            patch_size=patch_size,
            out_type=out_type,
            **kwargs)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims))

    def init_weights(self) -> None:
        """``VisionTransformer`` initialisation (trunc-normal position
        embedding, ``init_cfg``); then, unless a checkpoint is loaded, a
        trunc-normal (std .02) mask token."""
        super().init_weights()
        if not (isinstance(self.init_cfg, dict)
                and self.init_cfg['type'] == 'Pretrained'):
            trunc_normal_(self.mask_token, mean=0, std=.02)

    def forward(self, x: torch.Tensor,
                mask: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, ...]:
        """Encode images whose masked patches are replaced by the mask token.

        Args:
            x (torch.Tensor): Images (B, C_in, H, W).
            mask (torch.Tensor, optional): (B, H/p, W/p) on the patch grid
                (p = ``patch_size``), 1 = masked. None: the plain
                ``VisionTransformer.forward``.

        Returns:
            tuple[torch.Tensor]: One output per ``out_indices`` layer,
            formatted by ``out_type``; by default one (B, C, H/p, W/p).

        Raises:
            ValueError: If ``mask`` does not match the patch grid of ``x``.
        """
        if mask is None:
            return super().forward(x)

        batch_size = x.shape[0]
        x, patch_resolution = self.patch_embed(x)
        x = replace_masked_tokens(x, mask, self.mask_token, patch_resolution)
        if self.cls_token is not None:
            x = torch.cat((self.cls_token.expand(batch_size, -1, -1), x),
                          dim=1)
        x = x + resize_pos_embed(
            self.pos_embed,
            self.patch_resolution,
            patch_resolution,
            mode=self.interpolate_mode,
            num_extra_tokens=self.num_extra_tokens)
        x = self.pre_norm(self.drop_after_pos(x))

        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i == len(self.layers) - 1 and self.final_norm:
                x = self.ln1(x)
            if i in self.out_indices:
                outs.append(self._format_output(x, patch_resolution))
        return tuple(outs)

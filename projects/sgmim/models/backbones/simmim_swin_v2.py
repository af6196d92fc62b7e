"""SwinV2 encoder for SimMIM pre-training (mmpretrain has only Swin v1's)."""
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model.weight_init import trunc_normal_
from mmpretrain.models import SwinTransformerV2
from mmpretrain.models.utils import resize_pos_embed
from mmpretrain.registry import MODELS

from .mask_token import replace_masked_tokens
from .window_transfer import SwinV2WindowTransferMixin


@MODELS.register_module()
class SimMIMSwinTransformerV2(SwinV2WindowTransferMixin, SwinTransformerV2):
    """SwinV2 with a learnable mask token, for SimMIM pre-training.

    Same contract as mmpretrain's ``SimMIMSwinTransformer`` (Swin v1):
    ``forward(x, mask)`` replaces the patch embeddings of masked patches by
    the mask token ``t`` -- ``x' = x·(1 − w) + t·w`` -- then runs the stages
    unchanged. The SimMIM SwinV2-B recipe is ``arch='base', img_size=192,
    window_size=[12, 12, 12, 6]``.

    The state dict is that of ``SwinTransformerV2`` plus ``mask_token``, so
    ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``
    on a ``SwinTransformerV2`` (any window size) loads every encoder weight;
    see :mod:`.window_transfer` for what happens to the window-dependent
    buffers and the CPB check this class adds on loading.

    Args:
        arch (str | dict): 'tiny', 'small', 'base', 'large', 'huge', 'giant'
            or a dict with ``embed_dims``, ``depths``, ``num_heads`` and
            ``extra_norm_every_n_blocks``. Defaults to 'base'.
        img_size (int | tuple): Input size the absolute position embedding
            (if any) is built for. Defaults to 192.
        patch_size (int): Patch size of the patch embedding; the mask lives
            on this grid. Defaults to 4.
        in_channels (int): Input channels. Defaults to 3.
        window_size (int | Sequence[int]): Window size, one for all stages or
            one per stage. Defaults to ``[12, 12, 12, 6]``.
        drop_rate (float): Dropout after the embedding. Defaults to 0.
        drop_path_rate (float): Stochastic depth rate. Defaults to 0.1.
        out_indices (Sequence[int]): Stages whose normed outputs are
            returned. Defaults to ``(3, )``.
        use_abs_pos_embed (bool): Add an absolute position embedding.
            Defaults to False.
        interpolate_mode (str): Resize mode of that embedding.
            Defaults to 'bicubic'.
        with_cp (bool): Gradient checkpointing. Defaults to False.
        frozen_stages (int): Stages to freeze; -1 freezes none.
            Defaults to -1.
        norm_eval (bool): Keep norm layers in eval mode. Defaults to False.
        pad_small_map (bool): Pad feature maps smaller than the window.
            Defaults to False.
        norm_cfg (dict): Norm of the returned stage outputs.
            Defaults to ``dict(type='LN')``.
        stage_cfgs (Sequence[dict] | dict): Extra stage configs.
            Defaults to ``dict()``.
        patch_cfg (dict): Extra patch-embedding config. Defaults to ``dict()``.
        pretrained_window_sizes (Sequence[int]): Per stage, the window size
            P whose coordinate normalisation the CPB MLP keeps (0: the own
            window). Defaults to ``[0, 0, 0, 0]``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 arch: Union[str, dict] = 'base',
                 img_size: Union[int, Tuple[int, int]] = 192,
                 patch_size: int = 4,
                 in_channels: int = 3,
                 window_size: Union[int, Sequence[int]] = (12, 12, 12, 6),
                 drop_rate: float = 0.,
                 drop_path_rate: float = 0.1,
                 out_indices: Sequence[int] = (3, ),
                 use_abs_pos_embed: bool = False,
                 interpolate_mode: str = 'bicubic',
                 with_cp: bool = False,
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 pad_small_map: bool = False,
                 norm_cfg: dict = dict(type='LN'),
                 stage_cfgs: Union[Sequence[dict], dict] = dict(),
                 patch_cfg: dict = dict(),
                 pretrained_window_sizes: Sequence[int] = (0, 0, 0, 0),
                 init_cfg: Optional[dict] = None) -> None:
        if not isinstance(window_size, int):
            window_size = list(window_size)
        super().__init__(
            arch=arch,
            img_size=img_size,
            patch_size=patch_size,
            in_channels=in_channels,
            window_size=window_size,
            drop_rate=drop_rate,
            drop_path_rate=drop_path_rate,
            out_indices=out_indices,
            use_abs_pos_embed=use_abs_pos_embed,
            interpolate_mode=interpolate_mode,
            with_cp=with_cp,
            frozen_stages=frozen_stages,
            norm_eval=norm_eval,
            pad_small_map=pad_small_map,
            norm_cfg=norm_cfg,
            stage_cfgs=stage_cfgs,
            patch_cfg=patch_cfg,
            pretrained_window_sizes=list(pretrained_window_sizes),
            init_cfg=init_cfg)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims))

    def init_weights(self) -> None:
        """As ``SimMIMSwinTransformer``: unless a checkpoint is loaded,
        trunc-normal (std .02) mask token, absolute position embedding and
        linear weights (zero biases), LayerNorm to (1, 0)."""
        super().init_weights()
        if (isinstance(self.init_cfg, dict)
                and self.init_cfg['type'] == 'Pretrained'):
            return
        trunc_normal_(self.mask_token, mean=0, std=.02)
        self.apply(_init_linear_and_norm)

    def forward(self, x: torch.Tensor,
                mask: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor]:
        """Encode images whose masked patches are replaced by the mask token.

        Args:
            x (torch.Tensor): Images (B, C_in, H, W).
            mask (torch.Tensor, optional): (B, H/p, W/p) on the patch grid
                (p = ``patch_size``), 1 = masked. None: the plain
                ``SwinTransformerV2.forward``.

        Returns:
            tuple[torch.Tensor]: For each stage i in ``out_indices`` its
            normed output (B, C_i, h_i, w_i).

        Raises:
            ValueError: If ``mask`` does not match the patch grid of ``x``.
        """
        if mask is None:
            return super().forward(x)

        x, hw_shape = self.patch_embed(x)
        x = replace_masked_tokens(x, mask, self.mask_token, hw_shape)
        if self.use_abs_pos_embed:
            x = x + resize_pos_embed(
                self.absolute_pos_embed, self.patch_resolution, hw_shape,
                self.interpolate_mode, self.num_extra_tokens)
        x = self.drop_after_pos(x)

        outs = []
        for i, stage in enumerate(self.stages):
            x, hw_shape = stage(x, hw_shape)
            if i in self.out_indices:
                out = getattr(self, f'norm{i}')(x)
                outs.append(
                    out.view(-1, *hw_shape, stage.out_channels).permute(
                        0, 3, 1, 2).contiguous())
        return tuple(outs)


def _init_linear_and_norm(m: nn.Module) -> None:
    """Linear: trunc-normal weight (std .02), zero bias; LayerNorm: (1, 0)."""
    if isinstance(m, nn.Linear):
        trunc_normal_(m.weight, std=.02)
        if m.bias is not None:
            nn.init.constant_(m.bias, 0)
    elif isinstance(m, nn.LayerNorm):
        nn.init.constant_(m.bias, 0)
        nn.init.constant_(m.weight, 1.0)

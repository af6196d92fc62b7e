"""ViTDet's simple feature pyramid (Li et al., 2022) for mmdet."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import nn


@MODELS.register_module()
class SimpleFPN(BaseModule):
    """Feature pyramid from the single stride-16 map of a plain ViT.

    From x (N, C, H, W), C = ``backbone_channel``, stride 16:

    - stride 4:  ConvT(C, C/2, 2, 2) -> norm -> GELU -> ConvT(C/2, C/4, 2, 2)
    - stride 8:  ConvT(C, C/2, 2, 2)
    - stride 16: identity
    - stride 32: MaxPool(2, 2)

    then for each level i a 1x1 lateral ConvModule (``in_channels[i]`` ->
    ``out_channels``) and a 3x3 output ConvModule, both with ``norm_cfg``
    (no top-down path, as in ViTDet). Extra levels beyond the four
    (``num_outs`` > 4) are max_pool2d(kernel 1, stride 2) of the last one
    (stride 64 for the RPN). Module names follow mmdet's ``projects/ViTDet``.

    Args:
        backbone_channel (int): Channels C of the ViT feature map.
        in_channels (list[int]): Channels of the four pyramid maps, normally
            [C // 4, C // 2, C, C].
        out_channels (int): Output channels of every level.
        num_outs (int): Number of output levels (>= 4).
        conv_cfg (dict, optional): Conv config of the ConvModules.
        norm_cfg (dict, optional): Norm config, e.g. ``dict(type='LN2d',
            requires_grad=True)``; also used between the two deconvs
            (required).
        act_cfg (dict, optional): Activation of the ConvModules. Defaults to
            None.
        init_cfg (dict | list[dict], optional): Initialization config.
    """

    def __init__(self,
                 backbone_channel: int,
                 in_channels: List[int],
                 out_channels: int,
                 num_outs: int,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not isinstance(in_channels, Sequence) or len(in_channels) != 4:
            raise ValueError('SimpleFPN builds 4 levels: in_channels must '
                             f'list 4 channel numbers, got {in_channels}')
        if backbone_channel % 4:
            raise ValueError('backbone_channel must be divisible by 4, got '
                             f'{backbone_channel}')
        if num_outs < len(in_channels):
            raise ValueError(f'num_outs ({num_outs}) must be >= 4')
        if norm_cfg is None:
            raise ValueError("SimpleFPN needs a norm_cfg, e.g. "
                             "dict(type='LN2d', requires_grad=True)")
        self.backbone_channel = backbone_channel
        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        self.num_ins = len(in_channels)
        self.num_outs = num_outs

        c = backbone_channel
        self.fpn1 = nn.Sequential(
            nn.ConvTranspose2d(c, c // 2, 2, 2),
            build_norm_layer(norm_cfg, c // 2)[1], nn.GELU(),
            nn.ConvTranspose2d(c // 2, c // 4, 2, 2))
        self.fpn2 = nn.Sequential(nn.ConvTranspose2d(c, c // 2, 2, 2))
        self.fpn3 = nn.Sequential(nn.Identity())
        self.fpn4 = nn.Sequential(nn.MaxPool2d(kernel_size=2, stride=2))

        self.lateral_convs = nn.ModuleList()
        self.fpn_convs = nn.ModuleList()
        for i in range(self.num_ins):
            self.lateral_convs.append(
                ConvModule(
                    in_channels[i], out_channels, 1, conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg, act_cfg=act_cfg, inplace=False))
            self.fpn_convs.append(
                ConvModule(
                    out_channels, out_channels, 3, padding=1,
                    conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg,
                    inplace=False))

    def forward(self, x: Union[torch.Tensor, Sequence[torch.Tensor]]
                ) -> Tuple[torch.Tensor, ...]:
        """x: the stride-16 map (N, C, H, W), or a tuple/list whose last
        element is it (a backbone's output). Returns ``num_outs`` maps of
        strides 4, 8, 16, 32 (, 64, ...)."""
        if isinstance(x, (tuple, list)):
            x = x[-1]
        if x.dim() != 4 or x.shape[1] != self.backbone_channel:
            raise ValueError(
                f'SimpleFPN expects (N, {self.backbone_channel}, H, W), got '
                f'{tuple(x.shape)}')
        inputs = [self.fpn1(x), self.fpn2(x), self.fpn3(x), self.fpn4(x)]
        for i, t in enumerate(inputs):
            if t.shape[1] != self.in_channels[i]:
                raise ValueError(
                    f'SimpleFPN level {i} has {t.shape[1]} channels but '
                    f'in_channels[{i}] = {self.in_channels[i]}')
        laterals = [conv(t) for conv, t in zip(self.lateral_convs, inputs)]
        outs = [conv(t) for conv, t in zip(self.fpn_convs, laterals)]
        for _ in range(self.num_outs - self.num_ins):
            outs.append(F.max_pool2d(outs[-1], 1, stride=2))
        return tuple(outs)

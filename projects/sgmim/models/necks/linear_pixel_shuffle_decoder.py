"""One-layer pixel decoder with any number of output channels."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mmpretrain.registry import MODELS


@MODELS.register_module()
class LinearPixelShuffleDecoder(BaseModule):
    """SimMIM's linear decoder for ``out_channels`` output channels.

    ``y = PixelShuffle_r(Conv1x1(x))`` with ``r`` the encoder stride:
    (B, C, h, w) -> (B, out_channels, r * h, r * w). mmpretrain's
    ``SimMIMLinearDecoder`` is the case ``out_channels = 3``; SG-MIM's
    structure head uses ``out_channels = 1``.

    Args:
        in_channels (int): Width C of the feature map.
        encoder_stride (int): The encoder's total stride r.
        out_channels (int): Channels of the reconstruction. Defaults to 1.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 encoder_stride: int,
                 out_channels: int = 1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.encoder_stride = encoder_stride
        self.decoder = nn.Sequential(
            nn.Conv2d(in_channels, encoder_stride**2 * out_channels, 1),
            nn.PixelShuffle(encoder_stride))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, h, w) -> (B, out_channels, stride * h, stride * w)."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f'expected (B, {self.in_channels}, h, w) '
                             f'features, got shape {tuple(x.shape)}')
        return self.decoder(x)

    def forward_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """Decode tokens one by one: (B, K, C) -> (B, K, out_channels, r, r),
        the pixels each token becomes in ``forward`` (the 1×1 conv is a
        per-token linear map and the pixel shuffle lays its ``r² ·
        out_channels`` outputs on the token's r × r patch)."""
        if tokens.dim() != 3 or tokens.shape[-1] != self.in_channels:
            raise ValueError(f'expected (B, K, {self.in_channels}) tokens, '
                             f'got shape {tuple(tokens.shape)}')
        conv = self.decoder[0]
        r = self.encoder_stride
        out = F.linear(tokens, conv.weight.flatten(1), conv.bias)
        return out.view(*tokens.shape[:2], self.out_channels, r, r)

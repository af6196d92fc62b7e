"""Monodepth2-style depth decoder with skip connections and SC-Depth's
disparity output (mmpretrain registry: the MeSa geometric and supervised
stages run in mmpretrain's runner)."""
import math
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS
from torch import Tensor

__all__ = ['MonodepthDecoder', 'disparity_to_depth']


def disparity_to_depth(disparity: Tensor) -> Tensor:
    """Depth from the decoder's disparity: ``depth = 1 / disparity``.

    The decoder's disparity is at least its ``disp_offset`` (0.01), so the
    depth is finite (at most 100).
    """
    return 1. / disparity


def conv3x3_elu(in_channels: int, out_channels: int) -> nn.Sequential:
    """Reflection pad 1 -> Conv 3×3 -> ELU (Monodepth2's ``ConvBlock``).

    Plain torch modules, not mmcv's ``ConvModule``: that one re-initialises
    the convolution with Kaiming in its constructor, the reference keeps
    PyTorch's default initialisation.
    """
    return nn.Sequential(
        nn.ReflectionPad2d(1), nn.Conv2d(in_channels, out_channels, 3),
        nn.ELU(inplace=True))


@MODELS.register_module()
class MonodepthDecoder(BaseModule):
    """Monodepth2 depth decoder (Godard et al. 2019, as in SC-Depth) on the
    multi-scale maps of any encoder, full-resolution disparity output only.

    The encoder gives maps ``f_k`` (B, C_k, H/s_k, W/s_k) at increasing
    strides ``s_k`` (``in_strides``, powers of two); the deepest stride is
    ``2^n`` with ``n = len(channels)`` (5 for stride 32). From
    ``x = f_last``, stage ``i = n−1, …, 0`` (output stride ``2^i``, width
    ``c_i = channels[i]``)::

        x = ELU(conv3×3(reflect_pad(x)))                  (c_i channels)
        x = bilinear_up×2(x)                              (stride 2^i)
        x = cat([x, f_k]) if some s_k == 2^i (k ≠ last)   (the skip)
        x = ELU(conv3×3(reflect_pad(x)))                  (c_i channels)

    then ``disp = disp_scale · sigmoid(conv3×3(reflect_pad(x))) +
    disp_offset`` (B, 1, H, W), in ``[disp_offset, disp_scale +
    disp_offset]`` = [0.01, 10.01] by default; depth = 1 / disp
    (:func:`disparity_to_depth`).

    With a ResNet (strides 2…32) every stage but the last has a skip, as in
    SC-Depth. With the stride-4 first stage of Swin / SwinV2 (or a ViT with
    a stride-4…32 feature-pyramid neck) the stride-2 and stride-1 stages
    have no skip: they only upsample and convolve the stride-4 features
    (the channels 32 and 16 of Monodepth2 are kept, so the decoder is the
    reference one minus the stride-2 skip).

    Args:
        in_channels (Sequence[int]): Channels ``C_k`` of the encoder maps,
            shallow to deep.
        in_strides (Sequence[int]): Their strides, increasing powers of two.
            Defaults to (4, 8, 16, 32) (Swin, SwinV2 with
            ``out_indices=(0, 1, 2, 3)``).
        channels (Sequence[int]): Decoder widths ``c_0 … c_{n−1}`` (stride 1
            first). Defaults to (16, 32, 64, 128, 256).
        disp_scale (float): Disparity range. Defaults to 10.
        disp_offset (float): Minimum disparity. Defaults to 0.01.
        init_cfg (dict, optional): Initialisation config. Defaults to None
            (PyTorch's default initialisation, as the reference).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 in_strides: Sequence[int] = (4, 8, 16, 32),
                 channels: Sequence[int] = (16, 32, 64, 128, 256),
                 disp_scale: float = 10.,
                 disp_offset: float = 0.01,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        in_channels, in_strides = list(in_channels), list(in_strides)
        if not in_channels or len(in_channels) != len(in_strides):
            raise ValueError(
                'MonodepthDecoder: in_channels and in_strides need one entry '
                f'per encoder map, got in_channels={in_channels} and '
                f'in_strides={in_strides}')
        if any(s < 1 or s & (s - 1) for s in in_strides) or any(
                a >= b for a, b in zip(in_strides, in_strides[1:])):
            raise ValueError('MonodepthDecoder: in_strides must be increasing '
                             f'powers of two, got {in_strides}')
        num_stages = int(math.log2(in_strides[-1]))
        if len(channels) != num_stages:
            raise ValueError(
                f'MonodepthDecoder: the deepest stride {in_strides[-1]} needs '
                f'{num_stages} decoder stages (one per ×2 upsampling), got '
                f'channels={list(channels)}')
        if disp_scale <= 0 or disp_offset <= 0:
            raise ValueError('MonodepthDecoder: disp_scale and disp_offset '
                             f'must be > 0 (finite depth), got {disp_scale} '
                             f'and {disp_offset}')
        self.in_channels = in_channels
        self.in_strides = in_strides
        self.channels = list(channels)
        self.disp_scale = disp_scale
        self.disp_offset = disp_offset
        # skip_index[i]: the encoder map concatenated at stage i, or None.
        stride_to_index = {s: k for k, s in enumerate(in_strides[:-1])}
        self.skip_index = [stride_to_index.get(2**i) for i in
                           range(num_stages)]

        self.upconvs0 = nn.ModuleList()
        self.upconvs1 = nn.ModuleList()
        width = in_channels[-1]
        for i in reversed(range(num_stages)):
            self.upconvs0.append(conv3x3_elu(width, self.channels[i]))
            skip = self.skip_index[i]
            extra = 0 if skip is None else in_channels[skip]
            self.upconvs1.append(
                conv3x3_elu(self.channels[i] + extra, self.channels[i]))
            width = self.channels[i]
        self.disp_conv = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(self.channels[0], 1, 3))

    @property
    def out_stride(self) -> int:
        """Stride of the encoder's deepest map (the total upsampling)."""
        return self.in_strides[-1]

    def _check_inputs(self, feats: Sequence[Tensor]) -> None:
        if len(feats) != len(self.in_channels):
            raise ValueError(
                f'MonodepthDecoder expects {len(self.in_channels)} encoder '
                f'maps (in_channels={self.in_channels}), got {len(feats)}')
        last = feats[-1]
        for k, (f, c, s) in enumerate(
                zip(feats, self.in_channels, self.in_strides)):
            scale = self.in_strides[-1] // s
            expected = (c, last.shape[2] * scale, last.shape[3] * scale)
            if f.dim() != 4 or tuple(f.shape[1:]) != expected:
                raise ValueError(
                    f'MonodepthDecoder: encoder map {k} should be (B, '
                    f'{c}, {expected[1]}, {expected[2]}) for in_channels='
                    f'{self.in_channels}, in_strides={self.in_strides} and '
                    f'a deepest map of {tuple(last.shape[2:])}, got '
                    f'{tuple(f.shape)}; the input size must be divisible by '
                    f'{self.in_strides[-1]}')

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Disparity (B, 1, H, W), ``H = 2^n · h_last``, of the encoder maps
        ``feats`` (shallow to deep)."""
        feats = list(feats)
        self._check_inputs(feats)
        x = feats[-1]
        for cnt, i in enumerate(reversed(range(len(self.channels)))):
            x = F.interpolate(self.upconvs0[cnt](x), scale_factor=2,
                              mode='bilinear', align_corners=False)
            skip = self.skip_index[i]
            if skip is not None:
                x = torch.cat([x, feats[skip]], dim=1)
            x = self.upconvs1[cnt](x)
        return self.disp_scale * torch.sigmoid(
            self.disp_conv(x)) + self.disp_offset

"""A ResNet on two stacked frames with SC-Depth's squeeze-conv regression
head: the common part of :class:`PoseNet` and :class:`RectifyNet`."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.runner.checkpoint import _load_checkpoint
from mmpretrain.models import ResNet
from torch import Tensor

from ..utils.load_report import LoadReport, load_with_report
from ..utils.optional_pretrained_init import (EncoderCheckpointError,
                                              describe, encoder_state_dict)

__all__ = ['FramePairResNet', 'inflate_conv1']


def inflate_conv1(state_dict: dict, num_frames: int = 2,
                  key: str = 'conv1.weight') -> dict:
    """A single-image ResNet state dict for ``num_frames`` stacked images.

    The first convolution's weight ``w`` (O, C, k, k) becomes::

        w' = cat([w] * n, dim=1) / n             (O, n·C, k, k)

    so that ``n`` identical frames give the single-image response (SC-Depth
    / Monodepth2 "duplicated and halved" for two frames). The other entries
    are returned unchanged (a new dict; the input is not modified).

    Args:
        state_dict (dict): Weights of a single-image ResNet.
        num_frames (int): Frames stacked along the channels. Defaults to 2.
        key (str): Key of the first convolution. Defaults to
            'conv1.weight' (mmpretrain and torchvision ResNets).

    Returns:
        dict: The state dict with the inflated ``key``.
    """
    if key not in state_dict:
        raise KeyError(f'inflate_conv1: no {key!r} in the state dict (first '
                       f'keys: {list(state_dict)[:5]})')
    weight = state_dict[key]
    if weight.dim() != 4 or num_frames < 1:
        raise ValueError(f'inflate_conv1: {key!r} must be a conv weight (O, '
                         f'C, k, k) and num_frames >= 1, got shape '
                         f'{tuple(weight.shape)} and num_frames={num_frames}')
    inflated = dict(state_dict)
    inflated[key] = torch.cat([weight] * num_frames, dim=1) / num_frames
    return inflated


class FramePairResNet(BaseModule):
    """ResNet on a pair of frames stacked along the channels, regressing
    ``num_outputs`` values (SC-Depth's ``PoseDecoder`` / ``RotDecoder``)::

        x = cat([img1, img2], dim=1)                    (B, 6, H, W)
        x = bilinear resize to (H // d, W // d), align_corners=True
                                                        (d = input_downsample)
        f = ResNet(x)[last stage]                       (B, C, H/32d, W/32d)
        y = Conv1×1(ReLU(Conv3×3(ReLU(Conv3×3(ReLU(Conv1×1(f)))))))
                      (C → 256 → 256 → 256 → num_outputs, zero padding)
        out = output_scale · mean_{h, w}(y)             (B, num_outputs)

    The encoder is mmpretrain's ``ResNet`` (its stem and block names are
    torchvision's, so torchvision files load unchanged) with
    ``in_channels=6`` and torchvision's initialisation (Kaiming fan-out
    convolutions, unit batch-norm weights, no zero-initialised residuals),
    as SC-Depth's ``ResNetMultiImageInput``; the head keeps PyTorch's
    default initialisation. There is no input normalisation inside: the
    frames come normalised (SC-Depth: ``(x − 0.45) / 0.225``).

    Args:
        num_outputs (int): Values regressed per pair.
        output_scale (float): Factor on the spatial mean. Defaults to 1.
        input_downsample (int): Integer downsampling of the stacked pair
            before the encoder. Defaults to 1 (none).
        depth (int): ResNet depth. Defaults to 18.
        head_channels (int): Width of the head. Defaults to 256.
        norm_cfg (dict): Norm of the ResNet. Defaults to ``dict(type='BN')``.
        pretrained (str, optional): A single-image ResNet checkpoint (a
            torchvision file, ``'torchvision://resnet18'`` or an mmpretrain
            classifier with ``backbone.`` keys; any classifier ``fc`` /
            ``head`` entries are ignored), loaded strictly by
            :meth:`init_weights` after inflating its first convolution
            (:func:`inflate_conv1`). Defaults to None (random weights).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 num_outputs: int,
                 output_scale: float = 1.,
                 input_downsample: int = 1,
                 depth: int = 18,
                 head_channels: int = 256,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_outputs < 1 or int(input_downsample) != input_downsample or (
                input_downsample < 1):
            raise ValueError(
                f'{type(self).__name__}: num_outputs and input_downsample '
                f'must be positive integers, got {num_outputs} and '
                f'{input_downsample}')
        self.num_outputs = num_outputs
        self.output_scale = output_scale
        self.input_downsample = int(input_downsample)
        self.pretrained = pretrained
        self.encoder = ResNet(
            depth=depth, in_channels=6, out_indices=(3, ),
            norm_cfg=norm_cfg, zero_init_residual=False)
        self.head = nn.Sequential(
            nn.Conv2d(self.encoder.feat_dim, head_channels, 1), nn.ReLU(),
            nn.Conv2d(head_channels, head_channels, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(head_channels, head_channels, 3, 1, 1), nn.ReLU(),
            nn.Conv2d(head_channels, num_outputs, 1))

    def init_weights(self) -> None:
        """Initialise, then load ``pretrained`` (if given) into the
        encoder with its first convolution inflated to two frames."""
        super().init_weights()
        if self.pretrained is not None:
            self._load_pretrained(self.pretrained)

    def _load_pretrained(self, path: str) -> None:
        state = encoder_state_dict(
            _load_checkpoint(path, map_location='cpu'), 'backbone.')
        state = {k: v for k, v in state.items()
                 if not k.startswith(('fc.', 'head.'))}
        report = load_with_report(self.encoder, inflate_conv1(state, 2))
        problems = LoadReport(
            [k for k in report.missing
             if not k.endswith('num_batches_tracked')], report.unexpected,
            report.mismatched)
        if any(problems):
            raise EncoderCheckpointError(
                f'{path} is not a single-image ResNet-{self.encoder.depth} '
                f'checkpoint for {type(self).__name__}.pretrained:\n'
                f'{describe(problems)}')

    def forward(self, img1: Tensor, img2: Tensor) -> Tensor:
        """Regression (B, num_outputs) of the pair ``img1``, ``img2`` (B, 3,
        H, W) each, in this order."""
        if img1.dim() != 4 or img1.shape != img2.shape or img1.shape[1] != 3:
            raise ValueError(
                f'{type(self).__name__}: both frames must be (B, 3, H, W) of '
                f'one shape, got {tuple(img1.shape)} and '
                f'{tuple(img2.shape)}')
        x = torch.cat([img1, img2], dim=1)
        if self.input_downsample > 1:
            h, w = x.shape[2:]
            x = F.interpolate(
                x, size=(h // self.input_downsample,
                         w // self.input_downsample),
                mode='bilinear', align_corners=True)
        out = self.head(self.encoder(x)[-1]).mean(dim=(2, 3))
        return self.output_scale * out

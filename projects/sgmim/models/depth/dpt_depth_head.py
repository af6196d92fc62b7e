"""DPT depth head: mmseg's ``DPTHead`` with a MiDaS/DPT depth output."""
from typing import Sequence

import torch.nn as nn
from mmseg.models.decode_heads.dpt_head import DPTHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from torch import Tensor

from .glpdepth_head import DEPTH_INIT_CFG, DepthHeadMixin

__all__ = ['DPTDepthHead']


@MODELS.register_module()
class DPTDepthHead(DepthHeadMixin, DPTHead):
    """DPT (Ranftl et al. 2021) for monocular depth on a plain ViT.

    Reassemble + fusion blocks are mmseg's ``DPTHead`` ones (4 ViT layers,
    e.g. ``out_indices=(2, 5, 8, 11)``, patch 16: reassembled at strides
    4, 8, 16, 32, fused back to stride 2). The segmentation classifier is
    replaced by the MiDaS/DPT depth output::

        f (B, channels, H/2, W/2)
        -> Conv 3×3 (channels/2) -> bilinear ×2 -> Conv 3×3 (head_channels)
        -> ReLU -> Conv 1×1 (1)                          (B, 1, H, W)
        depth = sigmoid(·) · max_depth      (depth_act='sigmoid', default)
              = ReLU(·)                     (depth_act='relu', MiDaS)

    Loss / prediction contract: :class:`DepthHeadMixin` (SiLog by default).

    Each backbone output may be a feature map (B, C, h, w) (mmpretrain
    ``VisionTransformer(out_type='featmap')``) or a pair ``(feature map,
    cls token (B, C))`` (mmseg ``VisionTransformer(output_cls_token=True)``);
    ``readout_type`` 'add' / 'project' needs the pairs.

    Args:
        in_channels (Sequence[int]): Channels of the 4 selected outputs.
            Defaults to (768,) * 4.
        channels (int): Fusion channels. Defaults to 256.
        in_index (Sequence[int]): The 4 outputs taken from the backbone.
            Defaults to (0, 1, 2, 3).
        embed_dims (int): ViT width. Defaults to 768.
        post_process_channels (Sequence[int]): Reassemble channels.
            Defaults to (96, 192, 384, 768).
        readout_type (str): 'ignore' | 'add' | 'project'. Defaults to
            'ignore'.
        head_channels (int): Width of the last hidden conv. Defaults to 32.
        max_depth (float): Depth range of the sigmoid output.
            Defaults to 10.
        depth_act (str): 'sigmoid' | 'relu'. Defaults to 'sigmoid'.
        align_corners (bool): Of the output resizes. Defaults to False.
        loss_decode (dict | list[dict]): Defaults to
            ``dict(type='SiLogLoss')``.
        **kwargs: ``patch_size``, ``expand_channels``, ``act_cfg``,
            ``norm_cfg`` of ``DPTHead``.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (768, 768, 768, 768),
                 channels: int = 256,
                 in_index: Sequence[int] = (0, 1, 2, 3),
                 embed_dims: int = 768,
                 post_process_channels: Sequence[int] = (96, 192, 384, 768),
                 readout_type: str = 'ignore',
                 head_channels: int = 32,
                 max_depth: float = 10.,
                 depth_act: str = 'sigmoid',
                 align_corners: bool = False,
                 loss_decode=dict(type='SiLogLoss'),
                 init_cfg=DEPTH_INIT_CFG,
                 **kwargs):
        if len(in_channels) != 4 or len(in_index) != 4 or len(
                post_process_channels) != 4:
            raise ValueError('DPTDepthHead takes exactly 4 backbone outputs: '
                             'in_channels, in_index and post_process_channels '
                             'need 4 entries each')
        if depth_act not in ('sigmoid', 'relu'):
            raise ValueError("depth_act must be 'sigmoid' or 'relu', got "
                             f'{depth_act!r}')
        if max_depth <= 0:
            raise ValueError(f'max_depth must be > 0, got {max_depth}')
        super().__init__(
            embed_dims=embed_dims,
            post_process_channels=list(post_process_channels),
            readout_type=readout_type,
            in_channels=list(in_channels),
            channels=channels,
            in_index=list(in_index),
            input_transform='multiple_select',
            num_classes=1,
            out_channels=1,
            threshold=0.5,
            dropout_ratio=0.,
            align_corners=align_corners,
            loss_decode=[],  # built by _build_depth_losses
            init_cfg=init_cfg,
            **kwargs)
        self._drop_seg_classifier()
        self._build_depth_losses(loss_decode)
        self.max_depth = float(max_depth)
        self.depth_act = depth_act
        self.conv_depth1 = nn.Conv2d(channels, channels // 2, 3, padding=1)
        self.conv_depth2 = nn.Sequential(
            nn.Conv2d(channels // 2, head_channels, 3, padding=1), nn.ReLU(),
            nn.Conv2d(head_channels, 1, 1))

    def _as_pairs(self, inputs: Sequence) -> list:
        pairs = []
        for i, x in enumerate(inputs):
            if isinstance(x, Tensor):
                feat, cls_token = x, None
            elif isinstance(x, (list, tuple)) and len(x) == 2:
                feat, cls_token = x
            else:
                raise TypeError(f'backbone output {i}: expected a (B, C, h, '
                                'w) tensor or a (feature, cls_token) pair')
            if feat.dim() != 4 or feat.shape[1] != self.in_channels[i]:
                raise ValueError(
                    f'backbone output {i}: expected (B, {self.in_channels[i]}'
                    f', h, w), got {tuple(feat.shape)}')
            if cls_token is None and self.reassemble_blocks.readout_type != \
                    'ignore':
                raise ValueError(
                    f"readout_type='{self.reassemble_blocks.readout_type}' "
                    'needs (feature, cls_token) pairs from the backbone')
            pairs.append([feat, cls_token])
        return pairs

    def forward(self, inputs: Sequence) -> Tensor:
        """Backbone outputs -> depth (B, 1, 16·h, 16·w) for patch 16."""
        x = self._as_pairs(self._transform_inputs(inputs))
        x = self.reassemble_blocks(x)
        x = [self.convs[i](feature) for i, feature in enumerate(x)]
        out = self.fusion_blocks[0](x[-1])
        for i in range(1, len(self.fusion_blocks)):
            out = self.fusion_blocks[i](out, x[-(i + 1)])
        out = self.conv_depth1(self.project(out))
        out = resize(
            out,
            scale_factor=2,
            mode='bilinear',
            align_corners=self.align_corners,
            warning=False)
        out = self.conv_depth2(out)
        if self.depth_act == 'relu':
            return out.relu()
        return self._output_depth(out)

"""GLPDepth-style depth head on the last encoder stage (mmseg decode head).

Also holds :class:`DepthHeadMixin`, the depth loss / prediction contract
shared with :class:`~sgmim.models.depth.DPTDepthHead` (the one of mmseg's
``VPDDepthHead``).
"""
import math
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor

__all__ = ['DepthHeadMixin', 'GLPDepthHead', 'GLPDEPTH_AUTHORS_INIT_CFG']

DEPTH_INIT_CFG = dict(
    type='TruncNormal', std=0.02, bias=0.,
    layer=['Conv2d', 'ConvTranspose2d'])
# The authors' initialisation (SwinTransformer/MIM-Depth-Estimation,
# models/model.py, GLPDepth.__init__ and Decoder.init_weights): every Conv2d
# and ConvTranspose2d N(0, 0.001²) with zero bias, BatchNorm weight 1, bias 0.
GLPDEPTH_AUTHORS_INIT_CFG = [
    dict(type='Normal', std=0.001, bias=0.,
         layer=['Conv2d', 'ConvTranspose2d']),
    dict(type='Constant', val=1., bias=0., layer='_BatchNorm')
]


class DepthHeadMixin:
    """Loss / prediction contract of a depth decode head (as mmseg's
    ``VPDDepthHead``): ``forward`` returns metric depth (B, 1, h, w);
    ``loss_by_feat`` resizes it bilinearly to the ground truth
    ``gt_depth_map`` (B, 1, H, W) and sums ``loss_decode`` by ``loss_name``;
    ``predict_by_feat`` resizes it to the (padded) input shape of the data
    samples.

    The default loss is mmseg's ``SiLogLoss``. Per image, on the valid pixels
    V = {gt > eps} with ``d = log gt − log pred``::

        L = sqrt( mean_V d² − 0.5 · (mean_V d)² )

    averaged over the images of the batch (``reduction='mean'``). This is the
    REFERENCE §5 formula. GLPDepth's own code pools the valid pixels of the
    whole batch in one ``mean`` instead of averaging per-image losses; the
    two agree for batch size 1 or equal valid counts and per-image means.
    """

    num_classes = 1
    out_channels = 1

    def _build_depth_losses(self, loss_decode: Union[dict, Sequence[dict]]):
        if isinstance(loss_decode, dict):
            self.loss_decode = MODELS.build(loss_decode)
        elif isinstance(loss_decode, (list, tuple)):
            self.loss_decode = nn.ModuleList(
                MODELS.build(cfg) for cfg in loss_decode)
        else:
            raise TypeError('loss_decode must be a dict or a sequence of '
                            f'dicts, got {type(loss_decode)}')

    def _drop_seg_classifier(self):
        """Remove ``BaseDecodeHead``'s segmentation classifier (unused here;
        left in place it would be an unused parameter under DDP)."""
        del self.conv_seg
        self.dropout = None

    def _output_depth(self, out: Tensor) -> Tensor:
        """(B, 1, h, w) logits -> depth ``sigmoid(out) · max_depth``."""
        return torch.sigmoid(out) * self.max_depth

    @staticmethod
    def _stack_depth_gt(batch_data_samples: SampleList) -> Tensor:
        gts = [s.gt_depth_map.data for s in batch_data_samples]
        gt = torch.stack(gts, dim=0)
        if gt.dim() != 4 or gt.shape[1] != 1:
            raise ValueError('gt_depth_map must be (1, H, W) per sample, got '
                             f'a stacked shape {tuple(gt.shape)}')
        return gt

    @staticmethod
    def _check_pred(pred: Tensor) -> None:
        if pred.dim() != 4 or pred.shape[1] != 1:
            raise ValueError('depth predictions must be (B, 1, h, w), got '
                             f'{tuple(pred.shape)}')

    def loss_by_feat(self, pred_depth_map: Tensor,
                     batch_data_samples: SampleList) -> dict:
        """Depth losses of ``pred_depth_map`` (B, 1, h, w) against the
        samples' ``gt_depth_map`` (after resizing the prediction to it).

        Returns:
            dict[str, Tensor]: ``{loss_name: value}``.
        """
        self._check_pred(pred_depth_map)
        gt = self._stack_depth_gt(batch_data_samples).to(pred_depth_map)
        if gt.shape[0] != pred_depth_map.shape[0]:
            raise ValueError(f'{gt.shape[0]} ground truths for '
                             f'{pred_depth_map.shape[0]} predictions')
        pred = resize(
            pred_depth_map,
            size=gt.shape[2:],
            mode='bilinear',
            align_corners=self.align_corners,
            warning=False)
        losses_decode = self.loss_decode if isinstance(
            self.loss_decode, nn.ModuleList) else [self.loss_decode]
        loss = dict()
        for loss_decode in losses_decode:
            value = loss_decode(pred, gt)
            name = loss_decode.loss_name
            loss[name] = loss[name] + value if name in loss else value
        return loss

    def predict_by_feat(self, pred_depth_map: Tensor,
                        batch_img_metas: List[dict]) -> Tensor:
        """Resize depth (B, 1, h, w) bilinearly to the input shape: the
        ``img_shape`` when it is a ``torch.Size`` (mmseg's sliding-window
        convention), else ``pad_shape``, else ``img_shape``.

        Returns:
            Tensor: (B, 1, H, W) depth.
        """
        self._check_pred(pred_depth_map)
        meta = batch_img_metas[0]
        if isinstance(meta['img_shape'], torch.Size):
            size = meta['img_shape']
        elif 'pad_shape' in meta:
            size = meta['pad_shape'][:2]
        else:
            size = meta['img_shape'][:2]
        return resize(
            pred_depth_map,
            size=tuple(int(s) for s in size),
            mode='bilinear',
            align_corners=self.align_corners,
            warning=False)


@MODELS.register_module()
class GLPDepthHead(DepthHeadMixin, BaseDecodeHead):
    """GLPDepth-style depth decoder on ONE encoder stage (the last one).

    With ``s = in_stride`` (a power of two ≥ 4) and ``n = log2(s) − 2``::

        x (B, C_in, H/s, W/s)
        -> n × [ConvTranspose2d 2×2 stride 2 (no bias) -> BN -> ReLU]   (H/4)
        -> Conv 3×3 (to C_h) -> BN -> ReLU
        -> 2 × bilinear upsampling ×2                                   (H)
        -> Conv 3×3 (C_h) -> ReLU -> Conv 3×3 (to 1 channel)
        depth = sigmoid(·) · max_depth                        (B, 1, H, W)

    The deconvolutions have ``channels`` filters, the three convolutions
    ``C_h = head_channels`` (default: ``channels`` too, the paper's text:
    32 filters everywhere). Swin (s = 32): 3 deconvolutions, as REFERENCE
    §5; ViT-B/16 (s = 16): 2. The output is at stride 1; the loss and
    ``predict_by_feat`` resize it to the ground truth / input
    (:class:`DepthHeadMixin`, SiLog loss by default).

    The authors' code (SwinTransformer/MIM-Depth-Estimation,
    ``models/model.py``) widens the convolutions to the encoder's
    ``embed_dim`` (128 for Swin-B / SwinV2-B, 192 for L) and initialises
    with N(0, 0.001²): ``head_channels=128`` with
    ``init_cfg=GLPDEPTH_AUTHORS_INIT_CFG``.

    Args:
        in_channels (int): Channels of the selected stage (1024 for Swin-B).
        channels (int): Filters of the deconvolutions (and of the
            convolutions unless ``head_channels``). Defaults to 32.
        head_channels (int, optional): Filters of the convolution after the
            deconvolutions and width of the prediction convolutions (the
            last maps to 1 channel); None is ``channels``. Defaults to None.
        in_index (int): Stage taken from the backbone outputs. Defaults to -1.
        in_stride (int): Stride of that stage w.r.t. the input.
            Defaults to 32.
        max_depth (float): Depth range of the sigmoid output (10 NYU,
            80 KITTI). Defaults to 10.
        norm_cfg (dict): Norm of the deconv / first conv layers.
            Defaults to ``dict(type='BN')``.
        align_corners (bool): Of the bilinear resizes. Defaults to False.
        loss_decode (dict | list[dict]): Defaults to
            ``dict(type='SiLogLoss')``.
        init_cfg (dict | list[dict]): Defaults to TruncNormal(0.02) on the
            convolutions; ``GLPDEPTH_AUTHORS_INIT_CFG`` is the authors' code.
    """

    def __init__(self,
                 in_channels: int,
                 channels: int = 32,
                 head_channels: Optional[int] = None,
                 in_index: int = -1,
                 in_stride: int = 32,
                 max_depth: float = 10.,
                 norm_cfg: dict = dict(type='BN'),
                 align_corners: bool = False,
                 loss_decode=dict(type='SiLogLoss'),
                 init_cfg=DEPTH_INIT_CFG):
        if not isinstance(in_channels, int):
            raise TypeError('GLPDepthHead decodes one stage: in_channels must '
                            f'be an int, got {in_channels!r}')
        if (not isinstance(in_stride, int) or in_stride < 4
                or in_stride & (in_stride - 1)):
            raise ValueError('in_stride must be a power of two >= 4, got '
                             f'{in_stride!r}')
        if max_depth <= 0:
            raise ValueError(f'max_depth must be > 0, got {max_depth}')
        if head_channels is None:
            head_channels = channels
        if not isinstance(head_channels, int) or head_channels < 1:
            raise ValueError('head_channels must be a positive int or None, '
                             f'got {head_channels!r}')
        super().__init__(
            in_channels,
            channels,
            num_classes=1,
            out_channels=1,
            threshold=0.5,
            dropout_ratio=0.,
            norm_cfg=norm_cfg,
            in_index=in_index,
            input_transform=None,
            loss_decode=[],  # built by _build_depth_losses
            align_corners=align_corners,
            init_cfg=init_cfg)
        self._drop_seg_classifier()
        self._build_depth_losses(loss_decode)
        self.in_stride = in_stride
        self.max_depth = float(max_depth)
        self.num_deconvs = int(math.log2(in_stride)) - 2
        self.head_channels = head_channels

        layers = []
        c_in = in_channels
        for _ in range(self.num_deconvs):
            layers += [
                nn.ConvTranspose2d(c_in, channels, 2, stride=2, bias=False),
                build_norm_layer(norm_cfg, channels)[1],
                nn.ReLU(inplace=True)
            ]
            c_in = channels
        self.deconv_layers = nn.Sequential(*layers)
        self.conv = nn.Sequential(
            nn.Conv2d(c_in, head_channels, 3, padding=1),
            build_norm_layer(norm_cfg, head_channels)[1],
            nn.ReLU(inplace=True))
        self.depth_pred_layer = nn.Sequential(
            nn.Conv2d(head_channels, head_channels, 3, padding=1), nn.ReLU(),
            nn.Conv2d(head_channels, 1, 3, padding=1))

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Backbone outputs -> depth (B, 1, in_stride·h, in_stride·w)."""
        x = self._transform_inputs(inputs)
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'expected a (B, {self.in_channels}, h, w) feature map at '
                f'in_index={self.in_index}, got {tuple(x.shape)}')
        x = self.conv(self.deconv_layers(x))
        for _ in range(2):
            x = resize(
                x,
                scale_factor=2,
                mode='bilinear',
                align_corners=self.align_corners,
                warning=False)
        return self._output_depth(self.depth_pred_layer(x))

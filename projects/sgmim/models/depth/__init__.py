"""Depth models.

Transfer (mmseg registry): GLPDepth-style and DPT heads, and a depth
estimator with sliding-window + flip test-time inference. MeSa geometric and
supervised stages (mmpretrain registry): the Monodepth2-style disparity
decoder and depth network, SC-Depth's ResNet depth encoder and pose
network, and SC-DepthV2's auto-rectify network.
"""
from .depth_estimator import SlidingDepthEstimator
from .disparity_depth import DisparityDepthMixin
from .dpt_depth_head import DPTDepthHead
from .frame_pair_resnet import FramePairResNet, inflate_conv1
from .glpdepth_head import DepthHeadMixin, GLPDepthHead
from .monodepth_decoder import MonodepthDecoder, disparity_to_depth
from .monodepth_resnet import MonodepthResNet
from .pose_net import PoseNet
from .rectify_net import RectifyNet

__all__ = [
    'GLPDepthHead', 'DPTDepthHead', 'DepthHeadMixin', 'SlidingDepthEstimator',
    'MonodepthDecoder', 'MonodepthResNet', 'disparity_to_depth',
    'DisparityDepthMixin', 'FramePairResNet', 'inflate_conv1', 'PoseNet',
    'RectifyNet'
]

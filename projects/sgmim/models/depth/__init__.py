"""Depth transfer models (mmseg registry): GLPDepth-style and DPT heads,
and a depth estimator with sliding-window + flip test-time inference."""
from .depth_estimator import SlidingDepthEstimator
from .dpt_depth_head import DPTDepthHead
from .glpdepth_head import DepthHeadMixin, GLPDepthHead

__all__ = [
    'GLPDepthHead', 'DPTDepthHead', 'DepthHeadMixin', 'SlidingDepthEstimator'
]

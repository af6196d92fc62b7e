"""Evaluation metrics registered in mmseg's ``METRICS``."""
from .depth_crops import (CROP_TYPES, depth_crop_mask, eigen_crop_mask,
                          garg_crop_mask, normalize_crop_type, nyu_crop_mask)
from .depth_metric import DEPTH_METRICS, DepthEvalMetric, compute_depth_metrics

__all__ = [
    'CROP_TYPES', 'depth_crop_mask', 'eigen_crop_mask', 'garg_crop_mask',
    'normalize_crop_type', 'nyu_crop_mask', 'DEPTH_METRICS',
    'DepthEvalMetric', 'compute_depth_metrics'
]

"""Evaluation metrics registered in mmseg's ``METRICS``."""
from .depth_crops import (CROP_TYPES, depth_crop_mask, eigen_crop_mask,
                          garg_crop_mask, normalize_crop_type, nyu_crop_mask)
from .depth_metric import DEPTH_METRICS, DepthEvalMetric, compute_depth_metrics
from .ibims_boundary import (DepthBoundaryErrors, depth_boundary_errors,
                             edge_distance_errors, normalize_for_edges,
                             predicted_depth_edges)
from .ibims_functions import (DirectedDepthErrors, directed_depth_errors,
                              distance_bin_errors, ibims_valid_mask)
from .ibims_metric import IBimsMetric, distance_bin_name
from .ibims_planarity import (PlaneError, back_project_ibims, fit_plane,
                              planarity_errors, plane_errors)

__all__ = [
    'CROP_TYPES', 'depth_crop_mask', 'eigen_crop_mask', 'garg_crop_mask',
    'normalize_crop_type', 'nyu_crop_mask', 'DEPTH_METRICS',
    'DepthEvalMetric', 'compute_depth_metrics', 'DepthBoundaryErrors',
    'depth_boundary_errors', 'edge_distance_errors', 'normalize_for_edges',
    'predicted_depth_edges', 'DirectedDepthErrors', 'directed_depth_errors',
    'distance_bin_errors', 'ibims_valid_mask', 'IBimsMetric',
    'distance_bin_name', 'PlaneError', 'back_project_ibims', 'fit_plane',
    'planarity_errors', 'plane_errors'
]

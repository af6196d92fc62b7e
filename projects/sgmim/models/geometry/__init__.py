"""Multi-view geometry of the geometric pre-training stage (SC-Depth):
pose vectors and inverse warping, on kornia's back-projection."""
from .inverse_warp import WarpResult, inverse_warp, rotation_warp
from .pose import as_pose_matrix, euler_to_rotation_matrix, pose_vec_to_matrix

__all__ = [
    'WarpResult', 'inverse_warp', 'rotation_warp', 'as_pose_matrix',
    'euler_to_rotation_matrix', 'pose_vec_to_matrix'
]

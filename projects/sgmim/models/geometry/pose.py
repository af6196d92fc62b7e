"""6-DoF pose vectors as SC-Depth's pose net predicts them (REFERENCE.md §4).

A vector ``[tx, ty, tz, rx, ry, rz]`` (translation first, then Euler angles
in radians) is the rigid transform ``X' = R X + t`` with::

    R = Rx(rx) · Ry(ry) · Rz(rz)

    Rx(a) = [[1, 0, 0], [0, cos a, −sin a], [0, sin a, cos a]]
    Ry(b) = [[cos b, 0, sin b], [0, 1, 0], [−sin b, 0, cos b]]
    Rz(c) = [[cos c, −sin c, 0], [sin c, cos c, 0], [0, 0, 1]]

— intrinsic x-y'-z'' rotations, scipy's ``Rotation.from_euler('XYZ',
[rx, ry, rz])``. For the pose net's output ``pose(tgt, ref)`` the transform
maps points of the target camera frame into the reference camera frame
(``X_ref = R X_tgt + t``), which is what :func:`inverse_warp` takes.

kornia's ``quaternion_from_euler`` composes ``Rz · Ry · Rx`` (another
order), so the three factors are written out here.
"""
import torch
from torch import Tensor


def _check_angles(angles: Tensor, name: str) -> None:
    if not isinstance(angles, Tensor):
        raise TypeError(f'{name}: expected a Tensor, got {type(angles)}')
    if angles.dim() != 2 or angles.shape[1] != 3:
        raise ValueError(f'{name}: expected shape (B, 3) of Euler angles '
                         f'[rx, ry, rz], got {tuple(angles.shape)}')


def euler_to_rotation_matrix(angles: Tensor) -> Tensor:
    """``R = Rx(rx) · Ry(ry) · Rz(rz)`` of (B, 3) angles in radians
    (module docstring).

    Returns:
        Tensor: (B, 3, 3).

    Example:
        >>> R = euler_to_rotation_matrix(torch.zeros(2, 3))  # identities
    """
    _check_angles(angles, 'euler_to_rotation_matrix')
    zeros = torch.zeros_like(angles[:, 0])
    ones = torch.ones_like(zeros)

    def matrix(rows):
        return torch.stack([torch.stack(r, dim=-1) for r in rows], dim=-2)

    cx, cy, cz = torch.cos(angles).unbind(1)
    sx, sy, sz = torch.sin(angles).unbind(1)
    rot_x = matrix([(ones, zeros, zeros), (zeros, cx, -sx),
                    (zeros, sx, cx)])
    rot_y = matrix([(cy, zeros, sy), (zeros, ones, zeros),
                    (-sy, zeros, cy)])
    rot_z = matrix([(cz, -sz, zeros), (sz, cz, zeros),
                    (zeros, zeros, ones)])
    return rot_x @ rot_y @ rot_z


def pose_vec_to_matrix(vec: Tensor, homogeneous: bool = False) -> Tensor:
    """``[R | t]`` of (B, 6) pose vectors ``[tx, ty, tz, rx, ry, rz]`` with
    ``R = Rx(rx) · Ry(ry) · Rz(rz)`` (module docstring).

    Args:
        vec (Tensor): (B, 6) translations then Euler angles (radians).
        homogeneous (bool): Return (B, 4, 4) with a last row
            ``[0, 0, 0, 1]`` instead of (B, 3, 4). Defaults to False.

    Returns:
        Tensor: (B, 3, 4) or (B, 4, 4) mapping ``X ↦ R X + t``.

    Example:
        >>> T = pose_vec_to_matrix(torch.tensor([[0.1, 0, 0, 0, 0, 0.2]]))
        >>> T.shape
        torch.Size([1, 3, 4])
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f'pose_vec_to_matrix: expected a Tensor, got '
                        f'{type(vec)}')
    if vec.dim() != 2 or vec.shape[1] != 6:
        raise ValueError(f'pose_vec_to_matrix: expected shape (B, 6) of '
                         f'[tx, ty, tz, rx, ry, rz], got {tuple(vec.shape)}')
    matrix = torch.cat(
        [euler_to_rotation_matrix(vec[:, 3:]), vec[:, :3, None]], dim=2)
    if not homogeneous:
        return matrix
    last = matrix.new_tensor([0., 0., 0., 1.]).expand(len(vec), 1, 4)
    return torch.cat([matrix, last], dim=1)


def as_pose_matrix(pose: Tensor, name: str = 'pose') -> Tensor:
    """(B, 3, 4) ``[R | t]`` of a (B, 6) vector (:func:`pose_vec_to_matrix`)
    or of a (B, 3, 4) / (B, 4, 4) matrix (its top three rows)."""
    if not isinstance(pose, Tensor):
        raise TypeError(f'{name}: expected a Tensor, got {type(pose)}')
    if pose.dim() == 2 and pose.shape[1] == 6:
        return pose_vec_to_matrix(pose)
    if pose.dim() == 3 and tuple(pose.shape[1:]) in ((3, 4), (4, 4)):
        return pose[:, :3]
    raise ValueError(f'{name}: expected a (B, 6) pose vector or a (B, 3, 4) '
                     f'/ (B, 4, 4) matrix, got {tuple(pose.shape)}')

"""Pose vectors against scipy's Euler convention."""
import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from sgmim.models.geometry import (as_pose_matrix, euler_to_rotation_matrix,
                                   pose_vec_to_matrix)


def test_pose_vec_to_matrix_matches_scipy_intrinsic_xyz():
    vec = torch.tensor([[0.1, -0.2, 0.3, 0.3, 0.7, 1.1],
                        [-1.0, 2.0, 0.5, -0.4, 0.05, -2.5]],
                       dtype=torch.float64)
    matrix = pose_vec_to_matrix(vec)
    assert matrix.shape == (2, 3, 4)
    for row, T in zip(vec.numpy(), matrix.numpy()):
        # intrinsic x-y'-z'': R = Rx @ Ry @ Rz
        expected = Rotation.from_euler('XYZ', row[3:]).as_matrix()
        np.testing.assert_allclose(T[:, :3], expected, atol=1e-12)
        np.testing.assert_allclose(T[:, 3], row[:3])
        rx, ry, rz = (Rotation.from_euler(a, r).as_matrix()
                      for a, r in zip('xyz', row[3:]))
        np.testing.assert_allclose(T[:, :3], rx @ ry @ rz, atol=1e-12)
    homogeneous = pose_vec_to_matrix(vec, homogeneous=True)
    assert homogeneous.shape == (2, 4, 4)
    torch.testing.assert_close(homogeneous[:, :3], matrix)
    torch.testing.assert_close(
        homogeneous[:, 3], torch.tensor([[0., 0, 0, 1]] * 2).double())


def test_euler_rotation_is_orthonormal_and_differentiable():
    angles = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    R = euler_to_rotation_matrix(angles)
    eye = torch.eye(3, dtype=torch.float64).expand(4, 3, 3)
    torch.testing.assert_close(R @ R.transpose(1, 2), eye)
    assert torch.autograd.gradcheck(euler_to_rotation_matrix, (angles, ))


def test_as_pose_matrix_accepts_vectors_and_matrices():
    vec = torch.randn(2, 6)
    T = pose_vec_to_matrix(vec)
    torch.testing.assert_close(as_pose_matrix(vec), T)
    torch.testing.assert_close(as_pose_matrix(T), T)
    torch.testing.assert_close(
        as_pose_matrix(pose_vec_to_matrix(vec, homogeneous=True)), T)


@pytest.mark.parametrize('bad', [torch.zeros(2, 5), torch.zeros(6),
                                 torch.zeros(2, 3, 3)])
def test_bad_pose_shapes_are_named(bad):
    with pytest.raises(ValueError, match=r'pose.*got'):
        as_pose_matrix(bad)
    if bad.dim() != 3:
        with pytest.raises(ValueError, match=r'\(B, 6\)'):
            pose_vec_to_matrix(bad)
    with pytest.raises(ValueError, match=r'\(B, 3\)'):
        euler_to_rotation_matrix(torch.zeros(2, 4))

"""Inverse warping with the true depth and pose of a SynthScenes trajectory
reconstructs the target frame; a perturbed pose does not.

Conventions read from the SC-Depth layout the generator writes:
``poses.txt`` holds camera-to-world ``P_i`` (x right, y down, z forward),
so the target → reference pose is ``P_ref⁻¹ P_tgt``; ``depth/*.png`` is
z-depth in uint16 millimetres. The colour checks run twice: on the frames
re-rendered without loss (tight bound: bilinear interpolation and uint8
rounding only) and on the written JPEG frames (bound loosened by the JPEG
error, about 0.004 mean).
"""
import numpy as np
import pytest
import torch

from sgmim.models.geometry import inverse_warp, pose_vec_to_matrix
from sgmim.models.losses import PhotometricGeometryLoss, photometric_error

PAIRS = [(0, 1), (1, 0), (0, 2), (2, 1)]  # (target, reference)
#: 0.02 rad about the vertical axis: about 2 px of image motion here.
PERTURBATION = pose_vec_to_matrix(
    torch.tensor([[0., 0., 0., 0., 0.02, 0.]], dtype=torch.float64),
    homogeneous=True)


def as_image(array):
    return torch.from_numpy(np.ascontiguousarray(array)).permute(
        2, 0, 1)[None]


def as_depth(array):
    return torch.from_numpy(array)[None, None]


def relative_pose(trajectory, tgt, ref):
    """Target → reference: ``X_ref = P_ref⁻¹ P_tgt X_tgt``."""
    return torch.from_numpy(np.linalg.inv(trajectory.poses[ref]) @
                            trajectory.poses[tgt])[None]


def warp(trajectory, frames, tgt, ref, pose):
    return inverse_warp(as_image(frames[ref]),
                        as_depth(trajectory.depths[tgt]),
                        as_depth(trajectory.depths[ref]), pose,
                        torch.from_numpy(trajectory.K)[None])


def l1_on_valid(out, target):
    error = (out.warped - target).abs().mean(dim=1, keepdim=True)
    return error[out.valid].mean().item()


@pytest.mark.parametrize('source, true_bound, factor',
                         [('rgbs', 0.006, 3.0), ('jpegs', 0.008, 2.0)])
def test_true_pose_reconstructs_the_target(trajectory, source, true_bound,
                                           factor):
    frames = getattr(trajectory, source)
    for tgt, ref in PAIRS:
        target = as_image(frames[tgt])
        pose = relative_pose(trajectory, tgt, ref)
        true = warp(trajectory, frames, tgt, ref, pose)
        perturbed = warp(trajectory, frames, tgt, ref, PERTURBATION @ pose)
        assert true.valid.float().mean() > 0.8
        error = l1_on_valid(true, target)
        assert error < true_bound, (tgt, ref)
        assert l1_on_valid(perturbed, target) > factor * error, (tgt, ref)
        # the unwarped reference is worse too: the camera did move
        assert (as_image(frames[ref]) - target).abs().mean() > 2 * error
        photo = photometric_error(target, true.warped)[true.valid]
        assert photo.median() < 0.02
        # true depths are consistent up to the mm quantisation and edges
        ratio = ((true.projected_depth - true.sampled_depth).abs() /
                 (true.projected_depth + true.sampled_depth))
        assert ratio[true.valid].median() < 1e-3


def test_the_inverse_pose_convention_would_fail(trajectory):
    """Reading poses.txt as world-to-camera warps visibly worse."""
    frames = trajectory.rgbs
    target = as_image(frames[0])
    right = warp(trajectory, frames, 0, 2, relative_pose(trajectory, 0, 2))
    P = trajectory.poses
    wrong = torch.from_numpy(P[2] @ np.linalg.inv(P[0]))[None]
    assert l1_on_valid(warp(trajectory, frames, 0, 2, wrong), target) > \
        2 * l1_on_valid(right, target)


def test_loss_is_lower_at_the_true_pose(trajectory):
    frames = trajectory.rgbs
    tgt, refs = 1, (0, 2)
    loss = PhotometricGeometryLoss()
    K = torch.from_numpy(trajectory.K)[None]

    def losses(perturb):
        poses = [relative_pose(trajectory, tgt, r) for r in refs]
        poses = [PERTURBATION @ p if perturb else p for p in poses]
        return loss(as_image(frames[tgt]), [as_image(frames[r]) for r in refs],
                    as_depth(trajectory.depths[tgt]),
                    [as_depth(trajectory.depths[r]) for r in refs], poses,
                    [torch.linalg.inv(p) for p in poses], K)

    true, perturbed = losses(False), losses(True)
    assert true['loss_geometry'] < 1e-4
    assert perturbed['loss_photo'] > 2 * true['loss_photo']
    assert perturbed['loss_geometry'] > 3 * true['loss_geometry']

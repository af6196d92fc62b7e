"""inverse_warp against a NumPy/scipy re-computation of its formula, its
pixel convention, points behind the camera and bad input."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.ndimage import map_coordinates

from sgmim.models.geometry import (inverse_warp, pose_vec_to_matrix,
                                   rotation_warp)

H, W = 12, 16


def intrinsics(batch=1, f=14.0):
    K = torch.tensor([[f, 0., (W - 1) / 2], [0., f, (H - 1) / 2],
                      [0., 0., 1.]], dtype=torch.float64)
    return K.expand(batch, 3, 3)


def random_inputs(batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    img = torch.rand(batch, 3, H, W, generator=g, dtype=torch.float64)
    depth = 1 + 2 * torch.rand(batch, 1, H, W, generator=g,
                               dtype=torch.float64)
    ref_depth = 1 + 2 * torch.rand(batch, 1, H, W, generator=g,
                                   dtype=torch.float64)
    return img, depth, ref_depth


def loop_warp(img, depth, ref_depth, T, K):
    """Per pixel: back-project, transform, project, bilinear sample with
    zero padding (scipy's ``grid-constant``: pixel centres at integers)."""
    K_inv = np.linalg.inv(K)
    warped = np.zeros_like(img)
    sampled = np.zeros_like(depth)
    z_map = np.zeros_like(depth)
    valid = np.zeros(depth.shape, bool)
    for v in range(H):
        for u in range(W):
            X = depth[v, u] * K_inv @ np.array([u, v, 1.0])
            Xr = T[:, :3] @ X + T[:, 3]
            p = K @ Xr
            z = p[2]
            z_map[v, u] = z
            if z <= 0:
                continue  # behind the camera: masked, colour 0
            x, y = p[0] / (z + 1e-7), p[1] / (z + 1e-7)
            valid[v, u] = (-1e-3 <= x <= W - 1 + 1e-3
                           and -1e-3 <= y <= H - 1 + 1e-3)
            for c in range(img.shape[0]):
                warped[c, v, u] = map_coordinates(
                    img[c], [[y], [x]], order=1, mode='grid-constant',
                    cval=0.0, prefilter=False)[0]
            sampled[v, u] = map_coordinates(
                ref_depth, [[y], [x]], order=1, mode='grid-constant',
                cval=0.0, prefilter=False)[0]
    return warped, sampled, z_map, valid


def test_identity_pose_gives_the_reference_back():
    img, depth, ref_depth = random_inputs()
    out = inverse_warp(img, depth, ref_depth, torch.zeros(2, 6),
                       intrinsics(2))
    torch.testing.assert_close(out.warped, img, atol=1e-5, rtol=0)
    torch.testing.assert_close(out.sampled_depth, ref_depth, atol=1e-5,
                               rtol=0)
    torch.testing.assert_close(out.projected_depth, depth)
    assert out.valid.all() and out.valid.shape == (2, 1, H, W)


def test_the_mixed_convention_would_not_give_it_back():
    """SC-Depth's code normalises by W − 1 and samples with
    align_corners=False: under the identity that rescales the image."""
    img = random_inputs()[0]
    v, u = torch.meshgrid(torch.arange(H), torch.arange(W), indexing='ij')
    grid = torch.stack([2 * u / (W - 1) - 1, 2 * v / (H - 1) - 1],
                       -1)[None].expand(2, H, W, 2).double()
    mixed = F.grid_sample(img, grid, align_corners=False)
    assert (mixed - img).abs().mean() > 0.02


def test_matches_a_per_pixel_loop():
    img, depth, ref_depth = random_inputs(seed=1)
    vec = torch.tensor([[0.2, -0.1, 0.3, 0.05, -0.1, 0.08],
                        [-0.3, 0.1, -0.2, -0.06, 0.12, -0.04]],
                       dtype=torch.float64)
    out = inverse_warp(img, depth, ref_depth, vec, intrinsics(2))
    T = pose_vec_to_matrix(vec).numpy()
    K = intrinsics().numpy()[0]
    for b in range(2):
        warped, sampled, z, valid = loop_warp(
            img[b].numpy(), depth[b, 0].numpy(), ref_depth[b, 0].numpy(),
            T[b], K)
        assert 0.3 < valid.mean() < 1  # some pixels leave the image
        np.testing.assert_allclose(out.warped[b].numpy(), warped,
                                   atol=1e-9)
        np.testing.assert_allclose(out.sampled_depth[b, 0].numpy(), sampled,
                                   atol=1e-9)
        np.testing.assert_allclose(out.projected_depth[b, 0].numpy(), z)
        np.testing.assert_array_equal(out.valid[b, 0].numpy(), valid)


def test_pose_matrices_and_vectors_agree():
    img, depth, ref_depth = random_inputs()
    vec = 0.1 * torch.randn(2, 6, dtype=torch.float64)
    by_vec = inverse_warp(img, depth, ref_depth, vec, intrinsics(2))
    by_matrix = inverse_warp(img, depth, ref_depth,
                             pose_vec_to_matrix(vec, homogeneous=True),
                             intrinsics(1))
    for a, b in zip(by_vec, by_matrix):
        torch.testing.assert_close(a, b)


def test_points_behind_the_camera_are_masked_never_nan():
    img, depth, ref_depth = random_inputs()
    depth = depth.clone()
    depth[:, :, :, :W // 2] = 3.0
    depth[:, :, :, W // 2:] = 0.5
    depth[1, :, 0, 0] = 0.0  # the camera centre itself: z = t_z = 0 there
    pose = torch.tensor([[0., 0., -1.0, 0., 0., 0.]] * 2,
                        dtype=torch.float64)
    pose[1, 2] = 0.0
    depth.requires_grad_(True)
    pose.requires_grad_(True)
    out = inverse_warp(img, depth, ref_depth, pose, intrinsics(2))
    behind = out.projected_depth <= 0
    assert behind[0, 0, :, W // 2:].all() and not behind[0, 0, :, :W // 2
                                                         ].any()
    assert out.projected_depth[1, 0, 0, 0] == 0
    assert not out.valid[behind].any()
    assert (out.warped * behind).abs().sum() == 0
    assert (out.sampled_depth * behind).abs().sum() == 0
    total = sum(x.sum() for x in out[:3])
    total.backward()
    for value in (*out[:3], depth.grad, pose.grad):
        assert torch.isfinite(value).all()


def test_far_and_degenerate_points_stay_finite():
    img, depth, ref_depth = random_inputs()
    depth = torch.full_like(depth, 1e6)  # projects at huge coordinates
    pose = torch.tensor([[1e3, 0, -1e6 + 1e-9, 0, 0, 0]] * 2,
                        dtype=torch.float64)
    out = inverse_warp(img, depth, ref_depth, pose, intrinsics(2))
    assert all(torch.isfinite(x).all() for x in out[:3])
    assert not out.valid.all()


def test_rotation_warp_is_depth_independent():
    img, depth, _ = random_inputs()
    rot = torch.tensor([[0.02, -0.05, 0.03], [-0.04, 0.01, 0.06]],
                       dtype=torch.float64)
    warped, valid = rotation_warp(img, rot, intrinsics(2))
    pose = torch.cat([torch.zeros(2, 3, dtype=torch.float64), rot], 1)
    out = inverse_warp(img, depth, None, pose, intrinsics(2))
    assert out.sampled_depth is None
    # equal up to the +1e-7 of the division, which is not scale-free
    torch.testing.assert_close(warped, out.warped, atol=1e-5, rtol=0)
    assert torch.equal(valid, out.valid)
    zero, _ = rotation_warp(img, torch.zeros(2, 3, 3).double() +
                            torch.eye(3).double(), intrinsics(2))
    torch.testing.assert_close(zero, img, atol=1e-5, rtol=0)


@pytest.mark.parametrize('case, pattern', [
    ('depth', r'tgt_depth must have shape \(2, 1, 12, 16\)'),
    ('ref_depth', r'ref_depth must have shape'),
    ('K', r'intrinsics must have shape \(2, 3, 3\)'),
    ('pose', r'pose: expected a \(B, 6\)'),
    ('pose_batch', r'pose has batch 3, the images 2'),
    ('img', r'ref_img must be a \(B, C, H, W\)'),
])
def test_bad_input_is_named(case, pattern):
    img, depth, ref_depth = random_inputs()
    args = dict(ref_img=img, tgt_depth=depth, ref_depth=ref_depth,
                pose=torch.zeros(2, 6), intrinsics=intrinsics(2))
    args.update({
        'depth': dict(tgt_depth=depth[:, :, :-1]),
        'ref_depth': dict(ref_depth=depth.expand(2, 2, H, W)),
        'K': dict(intrinsics=torch.eye(3)),
        'pose': dict(pose=torch.zeros(2, 7)),
        'pose_batch': dict(pose=torch.zeros(3, 6)),
        'img': dict(ref_img=img[0]),
    }[case])
    with pytest.raises(ValueError, match=pattern):
        inverse_warp(**args)
    with pytest.raises(ValueError, match=r'rotation must be \(B, 3\)'):
        rotation_warp(img, torch.zeros(2, 4), intrinsics(2))

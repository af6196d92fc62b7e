"""PhotometricGeometryLoss and its terms against the formulas of
REFERENCE.md §4 written out with NumPy loops.

(Named ``test_photometric_loss.py``: ``tests/test_datasets/`` already has a
``test_photometric.py`` and the test folders are not packages.)
"""
import numpy as np
import pytest
import torch

from mmpretrain.registry import MODELS
from sgmim.models.geometry import inverse_warp, pose_vec_to_matrix
from sgmim.models.losses import (PhotometricGeometryLoss, box_ssim,
                                 edge_aware_smoothness,
                                 geometry_inconsistency, masked_mean,
                                 pair_terms, photometric_error,
                                 select_per_pixel)

B, H, W = 2, 16, 20
DT = torch.float64


def intrinsics(batch=B, f=16.0):
    K = torch.tensor([[f, 0., (W - 1) / 2], [0., f, (H - 1) / 2],
                      [0., 0., 1.]], dtype=DT)
    return K.expand(batch, 3, 3)


def snippet(num_refs=2, seed=0):
    """Random frames, depths and small poses (inverse poses = negated
    vectors: not exact inverses, which the loss does not require)."""
    g = torch.Generator().manual_seed(seed)

    def rand(*shape):
        return torch.rand(*shape, generator=g, dtype=DT)

    tgt = rand(B, 3, H, W)
    refs = [(tgt + 0.2 * rand(B, 3, H, W)).clamp(0, 1)
            for _ in range(num_refs)]
    depth = 1 + rand(B, 1, H, W)
    ref_depths = [1 + rand(B, 1, H, W) for _ in range(num_refs)]
    poses = [0.05 * (rand(B, 6) - 0.5) for _ in range(num_refs)]
    return tgt, refs, depth, ref_depths, poses, [-p for p in poses]


# ---------------------------------------------------------------- terms


def test_photometric_error_formula():
    g = torch.Generator().manual_seed(0)
    x = 3 * torch.rand(B, 3, H, W, generator=g, dtype=DT) - 1
    y = torch.rand(B, 3, H, W, generator=g, dtype=DT)
    l1 = np.clip(np.abs(x.numpy() - y.numpy()), 0, 1)  # some |x - y| > 1
    dssim = np.clip((1 - box_ssim(x, y).numpy()) / 2, 0, 1)
    expected = (0.15 * l1 + 0.85 * dssim).mean(axis=1, keepdims=True)
    np.testing.assert_allclose(photometric_error(x, y).numpy(), expected)
    np.testing.assert_allclose(
        photometric_error(x, y, use_ssim=False).numpy(),
        l1.mean(axis=1, keepdims=True))


def test_geometry_inconsistency_formula_and_degenerate_depths():
    z_proj = torch.tensor([2.0, 1.0, 0.0, -1.0, 3.0, 0.0],
                          dtype=DT, requires_grad=True)
    z_ref = torch.tensor([1.0, 1.0, 2.0, 1.0, 0.0, 0.0], dtype=DT,
                         requires_grad=True)
    d = geometry_inconsistency(z_proj, z_ref)
    torch.testing.assert_close(
        d, torch.tensor([1 / 3, 0, 1, 1, 1, 1], dtype=DT))
    d.sum().backward()
    assert torch.isfinite(z_proj.grad).all() and \
        torch.isfinite(z_ref.grad).all()


def test_masked_mean_needs_more_than_100_pixels():
    values = torch.rand(1, 1, 20, 20, dtype=DT, requires_grad=True)
    mask = torch.zeros(1, 1, 20, 20, dtype=DT)
    mask.view(-1)[:100] = 1
    zero = masked_mean(values, mask)
    assert zero.item() == 0
    zero.backward()
    assert (values.grad == 0).all()
    mask.view(-1)[100] = 1
    torch.testing.assert_close(masked_mean(values, mask),
                               values.detach().view(-1)[:101].mean())
    # the mask broadcasts over channels and counts every element
    values3 = torch.rand(1, 3, 20, 20, dtype=DT)
    torch.testing.assert_close(
        masked_mean(values3, mask),
        (values3 * mask).sum() / (3 * mask.sum()))
    assert masked_mean(values3, mask, min_pixels=400).item() == 0


def test_select_per_pixel_matches_a_loop():
    g = torch.Generator().manual_seed(3)
    color, photo, geometry = (torch.rand(2, 4, 5, 6, generator=g)
                              for _ in range(3))
    got_photo, got_geometry = select_per_pixel(color, photo, geometry)
    assert got_photo.shape == (2, 1, 5, 6)
    for b in range(2):
        for i in range(5):
            for j in range(6):
                m = int(np.argmin(color[b, :, i, j].numpy()))
                assert got_photo[b, 0, i, j] == photo[b, m, i, j]
                assert got_geometry[b, 0, i, j] == geometry[b, m, i, j]
    with pytest.raises(ValueError, match='differs from the key'):
        select_per_pixel(color, photo[:, :2])


def test_edge_aware_smoothness_matches_a_loop():
    g = torch.Generator().manual_seed(4)
    depth = 0.5 + torch.rand(2, 1, 5, 7, generator=g, dtype=DT)
    image = torch.rand(2, 3, 5, 7, generator=g, dtype=DT)
    d, im = depth.numpy(), image.numpy()
    gx, gy = [], []
    for b in range(2):
        n = d[b, 0] / (d[b, 0].mean() + 1e-7)
        for i in range(5):
            for j in range(7):
                if j < 6:
                    edge = np.abs(im[b, :, i, j + 1] - im[b, :, i, j]).mean()
                    gx.append(abs(n[i, j + 1] - n[i, j]) * np.exp(-edge))
                if i < 4:
                    edge = np.abs(im[b, :, i + 1, j] - im[b, :, i, j]).mean()
                    gy.append(abs(n[i + 1, j] - n[i, j]) * np.exp(-edge))
    np.testing.assert_allclose(
        edge_aware_smoothness(depth, image).item(),
        np.mean(gx) + np.mean(gy))
    # scale-invariant (mean normalisation) and zero on a constant map
    torch.testing.assert_close(edge_aware_smoothness(3 * depth, image),
                               edge_aware_smoothness(depth, image))
    assert edge_aware_smoothness(torch.ones_like(depth), image) == 0
    with pytest.raises(ValueError, match='disagree'):
        edge_aware_smoothness(depth, image[:, :, :4])


def test_pair_terms_compose_the_masks():
    tgt, refs, depth, ref_depths, poses, _ = snippet()
    tgt = tgt.clone()
    tgt[0, :, :2] = 0  # black rows: |target| <= 1e-3
    K = intrinsics()
    terms = pair_terms(tgt, refs[0], depth, ref_depths[0], poses[0], K)
    warp = inverse_warp(refs[0], depth, ref_depths[0], poses[0], K)
    t, r, w = tgt.numpy(), refs[0].numpy(), warp.warped.numpy()
    color = np.abs(t - w).mean(1, keepdims=True)
    identity = np.abs(t - r).mean(1, keepdims=True)
    visible = (warp.valid.numpy() & (np.abs(w).mean(1, keepdims=True) >
                                     1e-3)
               & (np.abs(t).mean(1, keepdims=True) > 1e-3))
    mask = visible & (color < identity)
    zp, zr = warp.projected_depth.numpy(), warp.sampled_depth.numpy()
    ddiff = np.where((zp > 0) & (zr > 0), np.abs(zp - zr) / (zp + zr), 1)
    photo = photometric_error(tgt, warp.warped).numpy() * (1 - ddiff)
    np.testing.assert_allclose(terms.color.numpy(), color)
    np.testing.assert_allclose(terms.geometry.numpy(), ddiff)
    np.testing.assert_array_equal(terms.mask.numpy(), mask)
    np.testing.assert_allclose(terms.photo.numpy(), photo)
    assert not mask[0, 0, :2].any() and 0.2 < mask.mean() < 0.9
    plain = pair_terms(tgt, refs[0], depth, ref_depths[0], poses[0], K,
                       auto_mask=False, self_discovered_mask=False)
    np.testing.assert_array_equal(plain.mask.numpy(), visible)
    np.testing.assert_allclose(plain.photo.numpy(),
                               photometric_error(tgt, warp.warped).numpy())
    # the self-discovered weight is detached
    d = depth.clone().requires_grad_(True)
    weighted = pair_terms(tgt, refs[0], d, ref_depths[0], poses[0], K)
    grad_w, = torch.autograd.grad(weighted.photo.sum(), d)
    plain_d = pair_terms(tgt, refs[0], d, ref_depths[0], poses[0], K,
                         self_discovered_mask=False)
    grad_p, = torch.autograd.grad(
        (plain_d.photo * (1 - weighted.geometry.detach())).sum(), d)
    torch.testing.assert_close(grad_w, grad_p)


# ----------------------------------------------------------- the module


def loop_losses(tgt, refs, depth, ref_depths, poses, poses_inv, K,
                selection=True):
    """The reference's assembly: 2·N maps, per-pixel argmin by a loop,
    masked means, smoothness."""
    maps = []
    for ref, ref_depth, pose, pose_inv in zip(refs, ref_depths, poses,
                                              poses_inv):
        maps.append(pair_terms(tgt, ref, depth, ref_depth, pose, K))
        maps.append(pair_terms(ref, tgt, ref_depth, depth, pose_inv, K))
    photo, color, geometry, mask = (
        np.concatenate([getattr(m, f).numpy() for m in maps], 1)
        for f in ('photo', 'color', 'geometry', 'mask'))
    if selection:
        sel = np.zeros((3, B, 1, H, W))
        for b in range(B):
            for i in range(H):
                for j in range(W):
                    m = np.argmin(color[b, :, i, j])
                    sel[:, b, 0, i, j] = (photo[b, m, i, j],
                                          geometry[b, m, i, j],
                                          mask[b, m, i, j])
        photo, geometry, mask = sel

    def mean(v):
        return (v * mask).sum() / mask.sum() if mask.sum() > 100 else 0.0

    return (mean(photo), mean(geometry),
            edge_aware_smoothness(depth, tgt).item())


@pytest.mark.parametrize('selection', [True, False])
def test_module_matches_the_reference_assembly(selection):
    inputs = snippet()
    K = intrinsics()
    loss = MODELS.build(dict(type='PhotometricGeometryLoss',
                             per_pixel_selection=selection))
    out = loss(*inputs, K)
    assert set(out) == {'loss_photo', 'loss_geometry', 'loss_smooth'}
    photo, geometry, smooth = loop_losses(*inputs, K, selection=selection)
    assert photo > 0 and geometry > 0
    np.testing.assert_allclose(out['loss_photo'].item(), photo)
    np.testing.assert_allclose(out['loss_geometry'].item(), 0.1 * geometry)
    np.testing.assert_allclose(out['loss_smooth'].item(), 0.1 * smooth)
    weighted = PhotometricGeometryLoss(
        photo_weight=2, geometry_weight=1, smooth_weight=0.,
        per_pixel_selection=selection)(*inputs, K)
    np.testing.assert_allclose(weighted['loss_photo'].item(), 2 * photo)
    np.testing.assert_allclose(weighted['loss_geometry'].item(), geometry)
    assert 'loss_smooth' not in weighted  # weight 0: not computed


def test_stacked_inputs_equal_lists():
    tgt, refs, depth, ref_depths, poses, poses_inv = snippet()
    loss = PhotometricGeometryLoss()
    listed = loss(tgt, refs, depth, ref_depths, poses, poses_inv,
                  intrinsics())
    stacked = loss(tgt, torch.stack(refs, 1), depth,
                   torch.stack(ref_depths, 1), torch.stack(poses, 1),
                   torch.stack(poses_inv, 1), intrinsics())
    for key in listed:
        torch.testing.assert_close(listed[key], stacked[key])


def plane_depth(K, normal, offset):
    """z of the plane n·X = c seen through every pixel: c / (n·K⁻¹p̃)."""
    v, u = torch.meshgrid(torch.arange(H, dtype=DT),
                          torch.arange(W, dtype=DT), indexing='ij')
    rays = torch.stack([u, v, torch.ones_like(u)], -1) @ \
        torch.linalg.inv(K).T
    return (offset / (rays @ normal))[None, None].expand(B, 1, H, W)


def test_geometry_term_is_zero_for_consistent_depths():
    g = torch.Generator().manual_seed(5)
    tgt = 0.2 + torch.rand(B, 3, H, W, generator=g, dtype=DT)
    ref = 0.2 + torch.rand(B, 3, H, W, generator=g, dtype=DT)
    K = intrinsics()
    loss = PhotometricGeometryLoss(auto_mask=False)
    # a fronto-parallel wall and a sideways step: both frames see z = 2
    wall = torch.full((B, 1, H, W), 2.0, dtype=DT)
    step = torch.tensor([[0.1, 0, 0, 0, 0, 0]] * B, dtype=DT)
    out = loss(tgt, [ref], wall, [wall], [step], [-step], K)
    assert out['loss_geometry'].item() < 1e-12
    out = loss(tgt, [ref], wall, [1.1 * wall], [step], [-step], K)
    np.testing.assert_allclose(out['loss_geometry'].item(), 0.1 * 0.1 / 2.1)
    # a tilted plane under a general motion, the reference depth from the
    # plane in the reference frame: n' = R n, c' = c + n'·t (exact up to
    # the bilinear sampling of a non-linear depth map)
    vec = torch.tensor([[0.05, -0.03, 0.04, 0.02, -0.03, 0.01]], dtype=DT)
    T = pose_vec_to_matrix(vec)[0]
    normal = torch.tensor([0.2, -0.3, 1.0], dtype=DT)
    normal = normal / normal.norm()
    normal_ref = T[:, :3] @ normal
    depth = plane_depth(K[0], normal, 2.0)
    ref_depth = plane_depth(K[0], normal_ref, 2.0 + normal_ref @ T[:, 3])
    T4 = pose_vec_to_matrix(vec, homogeneous=True).expand(B, 4, 4)
    out = loss(tgt, [ref], depth, [ref_depth], [T4],
               [torch.linalg.inv(T4)], K)
    assert out['loss_geometry'].item() < 1e-5
    out = loss(tgt, [ref], depth, [1.05 * ref_depth], [T4],
               [torch.linalg.inv(T4)], K)
    assert out['loss_geometry'].item() > 1e-3


def test_points_behind_the_camera_give_no_nan():
    tgt, refs, depth, ref_depths, poses, poses_inv = snippet(num_refs=1)
    depth = depth.clone().requires_grad_(True)
    ref_depth = ref_depths[0].clone().requires_grad_(True)
    # half the target points end up behind the reference camera
    depth_map = torch.where(torch.arange(W) < W // 2, depth, 0.2 * depth)
    pose = torch.tensor([[0, 0, -0.6, 0, 0, 0]] * B, dtype=DT,
                        requires_grad=True)
    behind = inverse_warp(refs[0], depth_map, None, pose,
                          intrinsics()).projected_depth <= 0
    assert 0.3 < behind.double().mean() < 0.7
    loss = PhotometricGeometryLoss()
    out = loss(tgt, [refs[0]], depth_map, [ref_depth], [pose], [-pose],
               intrinsics())
    total = sum(out.values())
    total.backward()
    assert torch.isfinite(total)
    for grad in (depth.grad, ref_depth.grad, pose.grad):
        assert torch.isfinite(grad).all()
    # everything behind the camera: defined zeros
    far = torch.tensor([[0, 0, -5.0, 0, 0, 0]] * B, dtype=DT)
    out = loss(tgt, [refs[0]], depth_map, [ref_depth], [far], [-far],
               intrinsics())
    assert out['loss_photo'].item() == 0 and \
        out['loss_geometry'].item() == 0
    assert torch.isfinite(out['loss_smooth'])


def test_half_precision_inputs_run_in_float32():
    tgt, refs, depth, ref_depths, poses, poses_inv = snippet()
    half = [x.to(torch.bfloat16) for x in (tgt, depth)]
    out = PhotometricGeometryLoss()(
        half[0], [r.to(torch.bfloat16) for r in refs], half[1],
        [d.to(torch.bfloat16) for d in ref_depths],
        [p.float() for p in poses], [p.float() for p in poses_inv],
        intrinsics().float())
    for value in out.values():
        assert value.dtype == torch.float32 and torch.isfinite(value)


@pytest.mark.parametrize('change, error, pattern', [
    (dict(poses_inv=[]), ValueError, r'one entry per reference frame'),
    (dict(ref_depths='depth'), TypeError, r'ref_depths must be a list'),
    (dict(ref_imgs=[None, None]), TypeError, r'ref_imgs\[0\] must be'),
    (dict(ref_depths=[torch.ones(B, 1, H, W)] * 1 + [torch.ones(B, 2, H, W)]
          ), ValueError, r'ref_depths\[1\] must have shape \(2, 1, 16, 20\)'),
    (dict(ref_imgs=[torch.ones(B, 3, H, W), torch.ones(B, 3, H, W - 1)]),
     ValueError, r'ref_imgs\[1\] has shape'),
    (dict(tgt_depth=torch.ones(B, H, W)), ValueError,
     r'tgt_depth must have shape'),
    (dict(intrinsics=None), TypeError, r'intrinsics must be a \(B, 3, 3\)'),
])
def test_bad_input_is_named(change, error, pattern):
    tgt, refs, depth, ref_depths, poses, poses_inv = snippet()
    args = dict(tgt_img=tgt, ref_imgs=refs, tgt_depth=depth,
                ref_depths=ref_depths, poses=poses, poses_inv=poses_inv,
                intrinsics=intrinsics())
    args.update(change)
    with pytest.raises(error, match=pattern):
        PhotometricGeometryLoss()(**args)


@pytest.mark.parametrize('kwargs', [dict(photo_weight=-1),
                                    dict(smooth_weight='0.1'),
                                    dict(min_pixels=True)])
def test_bad_options_are_named(kwargs):
    with pytest.raises(ValueError, match=list(kwargs)[0]):
        PhotometricGeometryLoss(**kwargs)

"""Snippet transforms: one draw for every frame and map, and intrinsics that
keep every 3-D point on its (transformed) pixel.

Independent check: frames whose pixels hold their own source coordinates
``(u, v)`` go through a transform; sampling the output (scipy bilinear) at
the projection of a point through the NEW intrinsics must give the
projection through the OLD ones (pixel centres at integer coordinates).
"""
import numpy as np
import pytest
import torch
from mmengine.dataset import default_collate
from mmpretrain.registry import MODELS, TRANSFORMS
from scipy.ndimage import map_coordinates

import sgmim  # noqa: F401  (registers the transforms)
from sgmim.datasets.transforms.snippet_geometry import (crop_intrinsics,
                                                        flip_intrinsics,
                                                        flip_relative_poses,
                                                        resize_intrinsics)

H, W = 30, 40
K = np.array([[35.0, 0.0, 18.3], [0.0, 33.0, 15.1], [0.0, 0.0, 1.0]])
MIRROR = np.diag([-1.0, 1.0, 1.0])


def project(K, X):
    """Pixels (N, 2) of camera points X (N, 3)."""
    p = X @ K.T
    return p[:, :2] / p[:, 2:]


def points(rng, n=200):
    """Camera points in front of the camera, inside the view of K."""
    uv = rng.uniform([0, 0], [W - 1, H - 1], (n, 2))
    z = rng.uniform(1.0, 5.0, (n, 1))
    rays = np.concatenate([uv, np.ones((n, 1))], 1) @ np.linalg.inv(K).T
    return rays * z


def coordinate_snippet(num_frames=3):
    """Frames (H, W, 3) float32 holding (u, v, frame) and depth-like maps
    holding u (pseudo_depth) and v (gt_depth) of their source pixel."""
    v, u = np.mgrid[0:H, 0:W].astype(np.float32)
    frames = [np.stack([u, v, np.full_like(u, j)], -1)
              for j in range(num_frames)]
    return dict(img=frames, img_path='t.jpg',
                frame_paths=[f'{j}.jpg' for j in range(num_frames)],
                intrinsics=K.copy(), img_shape=(H, W), ori_shape=(H, W),
                pseudo_depth=[u.copy()], gt_depth=[v.copy()])


def sample(image, uv):
    """Bilinear samples (N, C) of image (h, w, C) at pixels uv (N, 2)."""
    return np.stack([
        map_coordinates(image[..., c], [uv[:, 1], uv[:, 0]], order=1)
        for c in range(image.shape[2])
    ], -1)


def interior(uv, hw, margin=1.0):
    h, w = hw
    return ((uv[:, 0] >= margin) & (uv[:, 0] <= w - 1 - margin)
            & (uv[:, 1] >= margin) & (uv[:, 1] <= h - 1 - margin))


def build(cfg):
    return TRANSFORMS.build(cfg)


TRANSFORM_CFGS = [
    dict(type='SnippetRandomFlip', prob=1.0),
    dict(type='SnippetRandomScaleCrop'),
    dict(type='SnippetRandomScaleCrop', scale_range=(1.15, 1.15)),
    dict(type='SnippetCrop', crop_size=(24, 31)),
    dict(type='SnippetCrop', crop_size=20, random_crop=False),
    dict(type='SnippetResize', size=(17, 52)),
    dict(type='SnippetResize', size=(64, 64)),
]
CFG_IDS = ['flip', 'scale-crop', 'scale-crop-max', 'random-crop',
           'centre-crop', 'resize-mixed', 'resize-up']


@pytest.mark.parametrize('cfg', TRANSFORM_CFGS, ids=CFG_IDS)
def test_points_stay_on_their_transformed_pixel(cfg):
    rng = np.random.default_rng(0)
    np.random.seed(1)
    out = build(cfg)(coordinate_snippet())
    K_new = out['intrinsics']
    flipped = out.get('flip', False)
    X = points(rng)
    X_new = X @ MIRROR if flipped else X  # the flip mirrors the camera
    uv_old, uv_new = project(K, X), project(K_new, X_new)
    hw = out['img'][0].shape[:2]
    keep = interior(uv_new, hw)
    assert keep.sum() > 20
    for j, frame in enumerate(out['img']):
        found = sample(frame, uv_new[keep])
        np.testing.assert_allclose(found[:, :2], uv_old[keep], atol=1e-3)
        np.testing.assert_allclose(found[:, 2], j)  # its own frame
    assert out['img_shape'] == hw


@pytest.mark.parametrize('cfg', TRANSFORM_CFGS, ids=CFG_IDS)
def test_maps_follow_their_frames(cfg):
    """Each map pixel holds the source pixel NEAREST to where the frame's
    pixel samples (maps are resized with nearest, frames bilinearly)."""
    np.random.seed(2)
    out = build(cfg)(coordinate_snippet())
    frame = out['img'][0]
    source_u, source_v = frame[..., 0], frame[..., 1]
    assert out['pseudo_depth'][0].shape == frame.shape[:2]
    # the nearest source pixel of a position between centres is within .5
    assert np.abs(out['pseudo_depth'][0] - source_u).max() <= 0.5 + 1e-4
    assert np.abs(out['gt_depth'][0] - source_v).max() <= 0.5 + 1e-4
    assert out['pseudo_depth'][0].dtype == np.float32


def test_intrinsics_formulas_move_points_like_pixels():
    """u' = W-1-u (flip, mirrored camera), u' = s(u+.5)-.5 (resize),
    u' = u - left (crop), applied to the projections of points."""
    rng = np.random.default_rng(3)
    X = points(rng, 20)
    uv = project(K, X)
    np.testing.assert_allclose(
        project(flip_intrinsics(K, W), X @ MIRROR),
        np.stack([W - 1 - uv[:, 0], uv[:, 1]], 1), atol=1e-9)
    sx, sy = 1.3, 0.7
    np.testing.assert_allclose(
        project(resize_intrinsics(K, sx, sy), X),
        np.stack([sx * (uv[:, 0] + .5) - .5, sy * (uv[:, 1] + .5) - .5], 1),
        atol=1e-9)
    np.testing.assert_allclose(project(crop_intrinsics(K, 5, 7), X),
                               uv - [5, 7], atol=1e-9)
    skewed = K.copy()
    skewed[0, 1] = 0.4
    flipped = flip_intrinsics(skewed, W)
    assert flipped[0, 1] == -0.4 and flipped[0, 2] == W - 1 - K[0, 2]


def test_flip_of_relative_poses_keeps_the_rigid_motion():
    rng = np.random.default_rng(4)
    angle = 0.3
    T = np.eye(4)
    T[:3, :3] = [[np.cos(angle), 0, np.sin(angle)], [0, 1, 0],
                 [-np.sin(angle), 0, np.cos(angle)]]
    T[:3, 3] = [0.2, -0.1, 0.5]
    X = np.concatenate([rng.normal(size=(10, 3)), np.ones((10, 1))], 1)
    F = np.diag([-1.0, 1, 1, 1])
    T_flip = flip_relative_poses(T[None])[0]
    np.testing.assert_allclose((X @ F) @ T_flip.T, (X @ T.T) @ F, atol=1e-12)
    assert np.isclose(np.linalg.det(T_flip[:3, :3]), 1.0)
    results = coordinate_snippet()
    results['ref_poses'] = np.stack([T, np.linalg.inv(T)])
    out = build(dict(type='SnippetRandomFlip', prob=1.0))(results)
    np.testing.assert_allclose(out['ref_poses'][0], T_flip)


def test_one_draw_for_the_whole_snippet():
    """Frames with different content get the identical geometric change."""
    np.random.seed(5)
    results = coordinate_snippet()
    results['img'] = [f * (j + 1) for j, f in enumerate(results['img'])]
    for cfg in (dict(type='SnippetRandomFlip'),
                dict(type='SnippetRandomScaleCrop'),
                dict(type='SnippetCrop', crop_size=(21, 33))):
        results = build(cfg)(results)
    base = results['img'][0][..., :2]
    for j, frame in enumerate(results['img'][1:], start=2):
        np.testing.assert_allclose(frame[..., :2], base * j, rtol=1e-5)


def test_flip_probability_and_flags():
    np.random.seed(6)
    kept = build(dict(type='SnippetRandomFlip', prob=0.0))(
        coordinate_snippet())
    assert kept['flip'] is False and kept['flip_direction'] is None
    np.testing.assert_array_equal(kept['intrinsics'], K)
    flipped = build(dict(type='SnippetRandomFlip', prob=1.0))(
        coordinate_snippet())
    assert flipped['flip'] is True and flipped['flip_direction'] == \
        'horizontal'
    np.testing.assert_array_equal(flipped['img'][1][:, ::-1],
                                  coordinate_snippet()['img'][1])
    draws = [build(dict(type='SnippetRandomFlip'))(coordinate_snippet())
             ['flip'] for _ in range(200)]
    assert 70 < sum(draws) < 130


def test_scale_crop_uses_the_realised_size():
    """floor(W*1.15)/W is the factor, as the frames are resized to it."""
    np.random.seed(7)
    out = build(dict(type='SnippetRandomScaleCrop',
                     scale_range=(1.15, 1.15)))(coordinate_snippet())
    sx, sy = int(W * 1.15) / W, int(H * 1.15) / H
    assert np.isclose(out['intrinsics'][0, 0], K[0, 0] * sx)
    assert np.isclose(out['intrinsics'][1, 1], K[1, 1] * sy)
    assert out['img'][0].shape[:2] == (H, W)
    # factors are drawn in the range, per axis
    fx = [build(dict(type='SnippetRandomScaleCrop'))(coordinate_snippet())
          ['intrinsics'][0, 0] / K[0, 0] for _ in range(30)]
    assert min(fx) >= 1.0 and max(fx) <= int(W * 1.15) / W
    assert len(set(np.round(fx, 6))) > 3


def test_centre_crop_offsets_and_mesa_crop():
    out = build(dict(type='SnippetCrop', crop_size=(20, 30),
                     random_crop=False))(coordinate_snippet())
    assert out['img'][0][0, 0, 0] == 5 and out['img'][0][0, 0, 1] == 5
    np.testing.assert_allclose(out['intrinsics'][:2, 2],
                               K[:2, 2] - [5, 5])
    frames = dict(img=[np.zeros((480, 640, 3), np.uint8)] * 3,
                  intrinsics=K.copy(), img_path='nyu.jpg')
    np.random.seed(8)
    out = build(dict(type='SnippetCrop', crop_size=480))(frames)
    assert [f.shape for f in out['img']] == [(480, 480, 3)] * 3
    assert 0 <= K[0, 2] - out['intrinsics'][0, 2] <= 160


def test_invalid_depth_stays_zero_and_finite():
    results = coordinate_snippet()
    results['gt_depth'][0][::3] = 0.0
    np.random.seed(9)
    for cfg in TRANSFORM_CFGS:
        results = build(cfg)(results)
        depth = results['gt_depth'][0]
        assert np.isfinite(depth).all()
    values = set(np.unique(depth)) - {0.0}
    assert values <= set(np.arange(H, dtype=np.float32))  # no blend with 0


def test_bad_input_is_named():
    with pytest.raises(ValueError, match='larger than the frames.*t.jpg'):
        build(dict(type='SnippetCrop', crop_size=(H + 1, W)))(
            coordinate_snippet())
    results = coordinate_snippet()
    results['img'][2] = results['img'][2][:-1]
    with pytest.raises(ValueError, match='frame 2.jpg has size'):
        build(dict(type='SnippetResize', size=8))(results)
    results = coordinate_snippet()
    results['pseudo_depth'] = [np.zeros((H, W + 1), np.float32)]
    with pytest.raises(ValueError, match='pseudo_depth.*0.jpg'):
        build(dict(type='SnippetRandomFlip'))(results)
    results = coordinate_snippet()
    del results['intrinsics']
    with pytest.raises(KeyError, match='intrinsics'):
        build(dict(type='SnippetResize', size=8))(results)
    with pytest.raises(ValueError, match=r'intrinsics.*\(3, 3\)'):
        flip_intrinsics(np.eye(4), W)
    with pytest.raises(ValueError, match='scale_range'):
        build(dict(type='SnippetRandomScaleCrop', scale_range=(0.9, 1.1)))
    with pytest.raises(ValueError, match='map_interpolation'):
        build(dict(type='SnippetResize', size=8, map_interpolation='area'))
    with pytest.raises(ValueError, match='crop_size'):
        build(dict(type='SnippetCrop', crop_size=(0, 4)))
    with pytest.raises(ValueError, match='prob'):
        build(dict(type='SnippetRandomFlip', prob=1.5))


def uint8_snippet():
    rng = np.random.default_rng(10)
    frames = [rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
              for _ in range(3)]
    return dict(img=frames, img_path='0.jpg', frame_paths=['0.jpg', '1.jpg',
                                                           '2.jpg'],
                frame_ids=[1, 0, 2], scene='s', intrinsics=K.copy(),
                img_shape=(H, W), ori_shape=(H, W), sample_idx=3,
                pseudo_depth=[rng.uniform(1, 2, (H, W)).astype(np.float32)],
                ref_poses=np.stack([np.eye(4)] * 2))


def test_pack_and_self_supervised_preprocessor():
    """inputs: list [target, ref_1, ref_2] of (3, H, W) uint8; after
    default_collate, SelfSupDataPreprocessor normalises each (B, 3, H, W)
    view: (x[bgr->rgb] - mean) / std."""
    pack = build(dict(type='PackSnippetInputs'))
    packed = [pack(uint8_snippet()) for _ in range(2)]
    inputs, sample = packed[0]['inputs'], packed[0]['data_samples']
    frames = uint8_snippet()['img']
    assert isinstance(inputs, list) and len(inputs) == 3
    for tensor, frame in zip(inputs, frames):
        assert tensor.dtype == torch.uint8 and tensor.shape == (3, H, W)
        np.testing.assert_array_equal(tensor.numpy(), frame.transpose(2, 0,
                                                                      1))
    assert sample.intrinsics.dtype == torch.float32
    np.testing.assert_allclose(sample.intrinsics.numpy(), K, rtol=1e-6)
    assert sample.pseudo_depth.shape == (1, H, W)
    assert sample.ref_poses.shape == (2, 4, 4)
    assert 'gt_depth' not in sample
    assert sample.frame_ids == [1, 0, 2] and sample.scene == 's'
    assert sample.img_path == '0.jpg' and sample.sample_idx == 3

    mean, std = [114.75] * 3, [57.375] * 3  # SC-Depth: (x/255 - .45)/.225
    preprocessor = MODELS.build(dict(type='SelfSupDataPreprocessor',
                                     mean=mean, std=std, bgr_to_rgb=True))
    batch = preprocessor(default_collate(packed))
    views = batch['inputs']
    assert len(views) == 3 and views[0].shape == (2, 3, H, W)
    expected = (frames[2][..., ::-1].transpose(2, 0, 1) / 255.0 - 0.45) / 0.225
    np.testing.assert_allclose(views[2][1].numpy(), expected, atol=1e-5)
    assert len(batch['data_samples']) == 2


def test_pack_rejects_bad_intrinsics():
    results = uint8_snippet()
    results['intrinsics'] = np.full((3, 3), np.nan)
    with pytest.raises(ValueError, match='intrinsics of snippet 0.jpg'):
        build(dict(type='PackSnippetInputs'))(results)

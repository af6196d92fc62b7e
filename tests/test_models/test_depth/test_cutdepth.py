"""VerticalCutDepth: strip content, geometry, probability; why not mmseg's
RandomDepthMix."""
import numpy as np
import pytest
from mmseg.registry import TRANSFORMS

import sgmim.datasets.transforms.cutdepth  # noqa: F401  (registers it)


def sample(h=24, w=40, seed=0, dtype=np.uint8):
    rng = np.random.default_rng(seed)
    img = np.ones((h, w, 3), dtype=dtype)  # never equal to a scaled depth
    depth = rng.uniform(0.5, 9.5, (h, w)).astype(np.float32)
    depth[rng.random((h, w)) < 0.1] = 0  # invalid pixels stay 0
    return dict(img=img, gt_depth_map=depth, img_shape=(h, w))


@pytest.mark.parametrize('dtype', [np.uint8, np.float32])
def test_strip_content_and_geometry(dtype):
    t = TRANSFORMS.build(dict(type='VerticalCutDepth', prob=1.,
                              max_depth=10., strip_width_range=(0.1, 0.5)))
    np.random.seed(0)
    for seed in range(30):
        results = sample(seed=seed, dtype=dtype)
        img0, depth = results['img'].copy(), results['gt_depth_map'].copy()
        out = t(results)
        x0, x1 = out['cutdepth_strip']
        img = out['img']
        assert img.shape == img0.shape and img.dtype == img0.dtype
        assert 4 <= x1 - x0 <= 20 and 0 <= x0 < x1 <= 40
        # outside the strip: unchanged
        np.testing.assert_array_equal(img[:, :x0], img0[:, :x0])
        np.testing.assert_array_equal(img[:, x1:], img0[:, x1:])
        # inside, full height, every channel: the scaled depth
        expected = np.clip(depth[:, x0:x1] / 10., 0, 1) * 255
        if dtype == np.uint8:
            expected = np.rint(expected)
        for c in range(3):
            np.testing.assert_allclose(img[:, x0:x1, c], expected, atol=1e-4)
        changed = (img != img0).any(axis=2)
        assert changed[:, x0:x1][depth[:, x0:x1] > 0.01].all()
        assert not changed[:, :x0].any() and not changed[:, x1:].any()
        np.testing.assert_array_equal(out['gt_depth_map'], depth)


def test_probability():
    t = TRANSFORMS.build(dict(type='VerticalCutDepth', prob=0.25))
    np.random.seed(1)
    base = sample(h=4, w=8)
    hits = sum(
        t(dict(base, img=base['img'].copy()))['cutdepth_strip'] is not None
        for _ in range(4000))
    assert abs(hits / 4000 - 0.25) < 0.025  # ~3.6 standard deviations
    never = TRANSFORMS.build(dict(type='VerticalCutDepth', prob=0.))
    out = never(sample())
    assert out['cutdepth_strip'] is None
    np.testing.assert_array_equal(out['img'], sample()['img'])


def test_grayscale_and_errors():
    t = TRANSFORMS.build(dict(type='VerticalCutDepth', prob=1., max_depth=80.,
                              strip_width_range=(1., 1.)))
    results = sample()
    results['img'] = results['img'][..., 0]
    results['gt_depth_map'] = results['gt_depth_map'][..., None]
    out = t(results)
    assert out['cutdepth_strip'] == (0, 40)
    np.testing.assert_array_equal(
        out['img'], np.rint(results['gt_depth_map'][..., 0] / 80 * 255))
    with pytest.raises(ValueError, match='same H, W'):
        t(dict(img=np.zeros((4, 5, 3), np.uint8),
               gt_depth_map=np.zeros((4, 6), np.float32)))
    with pytest.raises(ValueError, match='strip_width_range'):
        TRANSFORMS.build(dict(type='VerticalCutDepth',
                              strip_width_range=(0., 0.5)))
    with pytest.raises(ValueError, match='prob'):
        TRANSFORMS.build(dict(type='VerticalCutDepth', prob=1.5))


def test_mmseg_random_depth_mix_does_not_scale():
    """Why this transform exists: mmseg's RandomDepthMix pastes the depth in
    annotation units (here metres: values 0-10 in a 0-255 image)."""
    mix = TRANSFORMS.build(dict(type='RandomDepthMix', prob=1.))
    results = sample(dtype=np.float32)
    depth = results['gt_depth_map'].copy()
    img = mix(results)['img']
    changed = (img != 1).any(axis=(0, 2))
    assert changed.any()
    np.testing.assert_array_equal(img[:, changed, 0], depth[:, changed])

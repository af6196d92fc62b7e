"""RandomBrightnessContrast / RandomGamma / HueSaturationValue: albumentations'
uint8 formulas against per-pixel loops, probabilities, ranges, untouched
depth, seeded determinism, and the depth configs' pipelines."""
import glob
import math
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmseg.registry import TRANSFORMS

from sgmim.datasets.transforms.photometric import (adjust_brightness_contrast,
                                                   adjust_gamma, shift_hsv)

CONFIGS = osp.join(osp.dirname(__file__), '..', '..', 'configs')
ALL_LEVELS = np.arange(256, dtype=np.uint8).reshape(16, 16)


def random_image(h=12, w=10, seed=0):
    return np.random.default_rng(seed).integers(
        0, 256, (h, w, 3), dtype=np.uint8)


def sample(seed=0):
    rng = np.random.default_rng(seed)
    depth = rng.uniform(0.5, 9.5, (12, 10)).astype(np.float32)
    return dict(img=random_image(seed=seed), gt_depth_map=depth,
                seg_fields=['gt_depth_map'])


def build(type_, **kwargs):
    return TRANSFORMS.build(dict(type=type_, **kwargs))


# --------------------------------------------------------------- formulas
@pytest.mark.parametrize('alpha, beta', [(1.2, 0.1), (0.8, -0.2),
                                         (1.0, 0.13), (0.93, 0.0),
                                         (1.1734, -0.0571)])
def test_brightness_contrast_per_pixel(alpha, beta):
    out = adjust_brightness_contrast(ALL_LEVELS, alpha, beta)
    assert out.dtype == np.uint8 and out.shape == ALL_LEVELS.shape
    for x, y in zip(ALL_LEVELS.ravel(), out.ravel()):
        # single-precision arithmetic, one value at a time
        v = np.float32(x) * np.float32(alpha) + np.float32(beta * 255)
        assert y == int(min(max(float(v), 0.), 255.))
        # and within one level of the real-number formula, truncated
        exact = math.floor(min(max(x * alpha + beta * 255, 0), 255))
        assert abs(exact - int(y)) <= 1


def test_brightness_contrast_known_values_and_truncation():
    img = np.array([[0, 10, 100, 250, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(
        adjust_brightness_contrast(img, 1.2, 0.1),
        [[25, 37, 145, 255, 255]])  # 25.5, 37.5, 145.5, 325.5 -> trunc/clip
    np.testing.assert_array_equal(
        adjust_brightness_contrast(img, 0.8, -0.2), [[0, 0, 29, 149, 153]])
    # +0.7 levels truncate back to the input (rounding would add 1)
    np.testing.assert_array_equal(
        adjust_brightness_contrast(ALL_LEVELS, 1.0, 0.7 / 255)[:, :-1],
        ALL_LEVELS[:, :-1])


@pytest.mark.parametrize('gamma', [0.8, 0.87, 1.0, 1.13, 1.2, 0.5])
def test_gamma_per_pixel(gamma):
    out = adjust_gamma(ALL_LEVELS, gamma)
    assert out.dtype == np.uint8
    for x, y in zip(ALL_LEVELS.ravel().tolist(), out.ravel().tolist()):
        value = 255 * math.pow(x * (1 / 255), gamma)
        if abs(value - round(value)) > 1e-9:
            assert y == math.floor(value)
        else:  # an integer up to rounding of pow: either side
            assert y in (math.floor(value - 1e-9), math.floor(value + 1e-9))


def test_gamma_known_values():
    img = np.array([0, 64, 128, 255], dtype=np.uint8)
    # 255 · sqrt(64/255) = 127.75, 255 · sqrt(128/255) = 180.67
    np.testing.assert_array_equal(adjust_gamma(img, 0.5), [0, 127, 180, 255])
    # gamma 1 truncates i·(1/255)·255 < i for some levels, as albumentations
    identity = adjust_gamma(ALL_LEVELS, 1.0).astype(int) - ALL_LEVELS
    assert set(np.unique(identity)) <= {-1, 0}
    assert (identity == -1).sum() == 24
    assert adjust_gamma(ALL_LEVELS, 1.2).max() == 255


def hsv_shift_per_pixel(img_bgr, dh, ds, dv):
    """OpenCV's uint8 HSV, then each pixel shifted in Python."""
    hsv = cv2.cvtColor(img_bgr, cv2.COLOR_BGR2HSV)
    out = np.empty_like(hsv)
    for i in range(hsv.shape[0]):
        for j in range(hsv.shape[1]):
            h, s, v = (int(c) for c in hsv[i, j])
            out[i, j] = (int((h + dh) % 180) if dh else h,
                         int(min(max(s + ds, 0), 255)) if ds else s,
                         int(min(max(v + dv, 0), 255)) if dv else v)
    return cv2.cvtColor(out, cv2.COLOR_HSV2BGR)


@pytest.mark.parametrize('shifts', [(13.7, -21.2, 8.9), (-19.99, 29.5, -20.),
                                    (-0.3, 0, 0), (0, 0, 7.5), (5, 0, 0)])
def test_hsv_per_pixel(shifts):
    img = random_image(16, 16, seed=3)
    np.testing.assert_array_equal(
        shift_hsv(img, *shifts), hsv_shift_per_pixel(img, *shifts))


def test_hsv_colours_and_channel_order():
    red_bgr = np.array([[[0, 0, 255]]], dtype=np.uint8)
    # hue +60 OpenCV units = +120°: red -> green
    np.testing.assert_array_equal(shift_hsv(red_bgr, 60, 0, 0), [[[0, 255, 0]]])
    # the same array read as RGB is blue; +120° -> red = RGB (255, 0, 0)
    np.testing.assert_array_equal(
        shift_hsv(red_bgr, 60, 0, 0, channel_order='rgb'), [[[255, 0, 0]]])
    # value shift on grey truncates and clips
    grey = np.full((1, 2, 3), 100, dtype=np.uint8)
    np.testing.assert_array_equal(shift_hsv(grey, 0, 0, 10.7), 110)
    np.testing.assert_array_equal(shift_hsv(grey, 0, 0, -120.2), 0)
    # BGR handling == RGB handling of the channel-reversed image
    img = random_image(8, 8, seed=5)
    np.testing.assert_array_equal(
        shift_hsv(img, 11.3, -17.8, 4.2),
        shift_hsv(img[..., ::-1].copy(), 11.3, -17.8, 4.2,
                  channel_order='rgb')[..., ::-1])
    assert shift_hsv(img, 0, 0, 0) is img  # no HSV round trip
    # a flipped and cropped view (negative strides, as after RandomFlip)
    view = img[1:7, ::-1]
    np.testing.assert_array_equal(
        shift_hsv(view, 3.5, 2.1, -1.7),
        hsv_shift_per_pixel(np.ascontiguousarray(view), 3.5, 2.1, -1.7))


def test_errors():
    with pytest.raises(TypeError, match='uint8'):
        adjust_gamma(np.zeros((2, 2, 3), np.float32), 1.1)
    with pytest.raises(ValueError, match=r'\(H, W, 3\)'):
        shift_hsv(np.zeros((2, 2), np.uint8), 1, 1, 1)
    with pytest.raises(ValueError, match='channel_order'):
        build('HueSaturationValue', channel_order='bgra')
    with pytest.raises(ValueError, match='prob'):
        build('RandomGamma', prob=1.5)
    with pytest.raises(ValueError, match='gamma_limit'):
        build('RandomGamma', gamma_limit=20)
    with pytest.raises(ValueError, match='integer'):
        build('RandomGamma', gamma_limit=(80.5, 120), gamma_sampling='integer')
    with pytest.raises(ValueError, match='lo > hi'):
        build('RandomBrightnessContrast', brightness_limit=(0.2, -0.2))
    with pytest.raises(TypeError, match='uint8'):
        build('RandomGamma', prob=1.)(dict(img=np.zeros((2, 2, 3))))


# ------------------------------------------------------------- transforms
TRANSFORM_CASES = [
    ('RandomBrightnessContrast', 'brightness_contrast',
     lambda img, p: adjust_brightness_contrast(img, *p)),
    ('RandomGamma', 'gamma', adjust_gamma),
    ('HueSaturationValue', 'hsv_shift', lambda img, p: shift_hsv(img, *p)),
]


@pytest.mark.parametrize('type_, key, fn', TRANSFORM_CASES)
def test_transform_probability_and_depth(type_, key, fn):
    never = build(type_, prob=0.)
    results = sample()
    img, depth = results['img'], results['gt_depth_map']
    depth0 = depth.copy()
    out = never(results)
    assert out['img'] is img and out[key] is None

    always = build(type_, prob=1.)
    np.random.seed(0)
    for seed in range(20):
        results = sample(seed)
        img0 = results['img'].copy()
        depth = results['gt_depth_map']
        out = always(results)
        assert out[key] is not None
        np.testing.assert_array_equal(out['img'], fn(img0, out[key]))
        assert out['gt_depth_map'] is depth
        np.testing.assert_array_equal(depth, sample(seed)['gt_depth_map'])
    np.testing.assert_array_equal(depth0, sample()['gt_depth_map'])

    half = build(type_)  # albumentations' default p = 0.5
    assert half.prob == 0.5
    np.random.seed(1)
    tiny = dict(img=random_image(2, 2))
    hits = sum(half(dict(tiny))[key] is not None for _ in range(3000))
    assert abs(hits / 3000 - 0.5) < 0.032  # ~3.5 standard deviations


def test_default_ranges():
    np.random.seed(2)
    bc, gamma, hsv = (build(t, prob=1.) for t, _, _ in TRANSFORM_CASES)
    base = dict(img=random_image(2, 2))
    ab = np.array([bc(dict(base))['brightness_contrast']
                   for _ in range(2000)])
    gs = np.array([gamma(dict(base))['gamma'] for _ in range(2000)])
    shifts = np.array([hsv(dict(base))['hsv_shift'] for _ in range(2000)])
    for values, lo, hi in [(ab[:, 0], 0.8, 1.2), (ab[:, 1], -0.2, 0.2),
                           (gs, 0.8, 1.2), (shifts[:, 0], -20, 20),
                           (shifts[:, 1], -30, 30), (shifts[:, 2], -20, 20)]:
        assert lo <= values.min() and values.max() <= hi
        span = hi - lo  # uniform: reaches both ends, mean in the middle
        assert values.min() < lo + 0.01 * span
        assert values.max() > hi - 0.01 * span
        assert abs(values.mean() - (lo + hi) / 2) < 0.03 * span
    assert len(np.unique(gs)) == 2000  # continuous by default

    integer = build('RandomGamma', prob=1., gamma_sampling='integer')
    gs = [integer(dict(base))['gamma'] for _ in range(4000)]
    assert set(np.round(np.array(gs) * 100).astype(int)) == set(
        range(80, 121))  # albumentations 1.1/1.2 randint: both ends included


def test_seeded_determinism():
    chain = [build(t) for t, _, _ in TRANSFORM_CASES]

    def run(seed):
        np.random.seed(seed)
        outs = []
        for i in range(10):
            results = sample(i)
            for t in chain:
                results = t(results)
            outs.append(results['img'])
        return np.stack(outs)

    np.testing.assert_array_equal(run(7), run(7))
    assert not np.array_equal(run(7), run(8))


# ---------------------------------------------------------------- configs
PROTOCOL = ['RandomFlip', 'RandomCrop', 'RandomBrightnessContrast',
            'RandomGamma', 'HueSaturationValue', 'PackSegInputs']


@pytest.mark.parametrize('path', [
    '_base_/datasets/nyu_depth_480x480.py',
    '_base_/datasets/kitti_depth_352x352.py'
] + sorted(
    osp.relpath(p, CONFIGS)
    for p in glob.glob(osp.join(CONFIGS, 'synth', 'glpdepth_*.py'))))
def test_depth_pipelines_follow_the_protocol(path):
    cfg = Config.fromfile(osp.join(CONFIGS, path))
    pipeline = cfg.train_dataloader.dataset.pipeline
    types = [t['type'] for t in pipeline]
    assert 'PhotoMetricDistortion' not in types
    assert types.index('VerticalCutDepth') < types.index('RandomFlip')
    assert types[-len(PROTOCOL):] == PROTOCOL
    photometric = [t for t in pipeline if t['type'] in PROTOCOL[2:5]]
    for t in photometric:  # albumentations' defaults, p = 0.5
        built = TRANSFORMS.build(t)
        assert built.prob == 0.5
    assert TRANSFORMS.build(photometric[0]).brightness_limit == (-0.2, 0.2)
    assert TRANSFORMS.build(photometric[1]).gamma_limit == (80, 120)
    assert TRANSFORMS.build(photometric[2]).hue_shift_limit == (-20, 20)

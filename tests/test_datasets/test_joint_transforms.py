"""Joint crop and flip: maps that are a function of the image stay that
function after any random draw."""
import numpy as np
import pytest
from mmpretrain.datasets.transforms import RandomResizedCrop
from mmpretrain.registry import TRANSFORMS

import sgmim  # noqa: F401  (registers the transforms)


def coordinate_sample(rng, height, width):
    """BGR image: channel 0 = column, 1 = row, 2 = noise; the structure map
    is channel 0 (as float) and a second map is the noise channel."""
    rows, cols = np.mgrid[:height, :width]
    noise = rng.integers(0, 256, (height, width))
    img = np.stack([cols, rows, noise], axis=-1).astype(np.uint8)
    return dict(img=img, img_path='synthetic.JPEG',
                structure_map=cols.astype(np.float32),
                noise_map=noise.astype(np.float32))


def crop(**kwargs):
    return TRANSFORMS.build(
        dict(type='JointRandomResizedCrop', scale=32,
             map_keys=('structure_map', 'noise_map'), **kwargs))


def flip(**kwargs):
    return TRANSFORMS.build(
        dict(type='JointRandomFlip',
             map_keys=('structure_map', 'noise_map'), **kwargs))


def assert_maps_follow_image(results):
    img = results['img'].astype(np.float32)
    # Bilinear on uint8 (fixed point, rounded) vs float: < 1 grey level.
    np.testing.assert_allclose(results['structure_map'], img[..., 0],
                               atol=1.0)
    np.testing.assert_allclose(results['noise_map'], img[..., 2], atol=1.0)


def test_crop_keeps_maps_aligned_over_many_draws():
    rng = np.random.default_rng(0)
    np.random.seed(0)  # the crop draws from NumPy's global generator
    transform = crop()
    boxes = set()
    for _ in range(200):
        height = int(rng.integers(40, 200))
        width = int(height * rng.uniform(0.9, 1.1))  # no central fallback
        results = transform(coordinate_sample(rng, height, width))
        assert results['img'].shape == (32, 32, 3)
        assert results['img_shape'] == (32, 32)
        assert results['structure_map'].shape == (32, 32)
        assert results['structure_map'].dtype == np.float32
        assert_maps_follow_image(results)
        cols = results['img'][..., 0].astype(int)
        rows = results['img'][..., 1].astype(int)
        box = (rows.min(), cols.min(), rows.max(), cols.max())
        boxes.add(box)
        # Output pixel centres span 31/32 of the crop side: the crop area
        # drawn in (0.67, 1) of the image (the whole image when no draw
        # fits), up to one pixel of rounding per side.
        area = ((box[2] - box[0]) * 32 / 31 + 1) * (
            (box[3] - box[1]) * 32 / 31 + 1)
        assert 0.6 * height * width <= area <= (height + 2) * (width + 2)
    assert len(boxes) > 150  # different draws, different crops


def test_crop_draws_like_mmpretrains_random_resized_crop():
    rng = np.random.default_rng(1)
    for seed in range(10):
        sample = coordinate_sample(rng, 120, 90)
        np.random.seed(seed)
        ours = crop(interpolation='bicubic')(dict(sample))['img']
        np.random.seed(seed)
        parent = RandomResizedCrop(32, crop_ratio_range=(0.67, 1.0),
                                   interpolation='bicubic')(
                                       dict(sample))['img']
        np.testing.assert_array_equal(ours, parent)


def test_crop_uses_the_map_interpolation():
    rng = np.random.default_rng(2)
    results = crop(crop_ratio_range=(0.3, 0.4),
                   map_interpolation='nearest')(
                       coordinate_sample(rng, 100, 100))
    # nearest keeps source values: the column map stays integral
    np.testing.assert_array_equal(results['structure_map'],
                                  np.round(results['structure_map']))


@pytest.mark.parametrize('direction', ['horizontal', 'vertical', 'diagonal'])
def test_flip_keeps_maps_aligned(direction):
    rng = np.random.default_rng(3)
    transform = flip(prob=0.5, direction=direction)
    flipped = 0
    for _ in range(100):
        results = transform(coordinate_sample(rng, 20, 30))
        assert_maps_follow_image(results)
        flipped += results['flip']
        assert results['structure_map'].flags.c_contiguous
        if results['flip']:
            assert results['flip_direction'] == direction
    assert 30 < flipped < 70


def test_horizontal_flip_reverses_columns():
    sample = coordinate_sample(np.random.default_rng(4), 5, 7)
    results = flip(prob=1.0)(sample)
    np.testing.assert_array_equal(results['structure_map'][0],
                                  np.arange(6, -1, -1))


def test_crop_then_flip_pipeline_keeps_alignment():
    rng = np.random.default_rng(5)
    transforms = [crop(), flip()]
    for _ in range(50):
        results = coordinate_sample(rng, *rng.integers(40, 120, 2))
        for transform in transforms:
            results = transform(results)
        assert_maps_follow_image(results)


def test_missing_or_misaligned_maps_are_reported():
    sample = coordinate_sample(np.random.default_rng(6), 20, 30)
    del sample['noise_map']
    for transform in (crop(), flip()):
        with pytest.raises(KeyError, match='noise_map.*synthetic.JPEG'):
            transform(dict(sample))
    sample['noise_map'] = np.zeros((20, 31), np.float32)
    for transform in (crop(), flip()):
        with pytest.raises(ValueError, match='noise_map.*synthetic.JPEG'):
            transform(dict(sample))


@pytest.mark.parametrize('build,argument', [
    (lambda: crop(map_interpolation='linear'), 'map_interpolation'),
    (lambda: TRANSFORMS.build(dict(type='JointRandomResizedCrop', scale=32,
                                   map_keys='structure_map')), 'map_keys'),
    (lambda: TRANSFORMS.build(dict(type='JointRandomFlip', map_keys=[1])),
     'map_keys'),
])
def test_invalid_arguments_are_named(build, argument):
    with pytest.raises(ValueError, match=f'^{argument}:'):
        build()

"""SelectiveGuidanceMaskGenerator: SimMIM's image mask plus the structure
mask, checked against counts and probabilities worked out by hand."""
import math

import numpy as np
import pytest
import torch
from mmpretrain.datasets.transforms import PackInputs, SimMIMMaskGenerator
from mmpretrain.registry import TRANSFORMS

import sgmim  # noqa: F401  (registers the transforms)

SWIN = dict(input_size=192, mask_patch_size=32, model_patch_size=4)
VIT = dict(input_size=224, mask_patch_size=32, model_patch_size=16)


def generator(**kwargs):
    return TRANSFORMS.build(dict(type='SelectiveGuidanceMaskGenerator',
                                 **kwargs))


def blocks(mask, input_size, mask_patch_size, model_patch_size):
    """(rand, rand, scale, scale) view: one block per mask patch."""
    rand = input_size // mask_patch_size
    scale = mask_patch_size // model_patch_size
    return np.asarray(mask).reshape(rand, scale, rand,
                                    scale).transpose(0, 2, 1, 3)


def draw(gen):
    results = gen({})
    return results['mask'], results['structure_mask'].numpy()


@pytest.mark.parametrize('geometry,side', [(SWIN, 48), (VIT, 14)])
def test_shapes_and_dtypes_follow_simmim(geometry, side):
    results = generator(**geometry)({})
    assert results['mask'].shape == (side, side)
    assert results['mask'].dtype == np.int64
    assert isinstance(results['structure_mask'], torch.Tensor)
    assert results['structure_mask'].shape == (side, side)
    assert results['structure_mask'].dtype == torch.int64


@pytest.mark.parametrize('geometry', [SWIN, VIT])
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_image_mask_is_simmims_draw(geometry, seed):
    np.random.seed(seed)
    ours = generator(**geometry)({})['mask']
    np.random.seed(seed)
    simmim = SimMIMMaskGenerator(**geometry)({})['mask']
    np.testing.assert_array_equal(ours, simmim)


@pytest.mark.parametrize('geometry', [SWIN, VIT])
@pytest.mark.parametrize('ratio', [0.5, 0.6, 0.7, 0.75])
def test_complementary_mode(geometry, ratio):
    gen = generator(mask_ratio=ratio, **geometry)
    count = (geometry['input_size'] // geometry['mask_patch_size'])**2
    for _ in range(20):
        image_mask, structure_mask = draw(gen)
        np.testing.assert_array_equal(image_mask + structure_mask, 1)
        for mask in (image_mask, structure_mask):
            per_block = blocks(mask, **geometry)
            # constant within each mask patch (32 px granularity)
            assert (per_block.min(axis=(2, 3)) == per_block.max(
                axis=(2, 3))).all()
        masked = blocks(image_mask, **geometry)[:, :, 0, 0].sum()
        assert masked == math.ceil(ratio * count)


def test_random_mode_counts_and_granularity():
    gen = generator(mode='random', mask_ratio=0.6, structure_mask_ratio=0.3,
                    **SWIN)
    for _ in range(20):
        image_mask, structure_mask = draw(gen)
        for mask, ratio in ((image_mask, 0.6), (structure_mask, 0.3)):
            per_block = blocks(mask, **SWIN)
            assert (per_block.min(axis=(2, 3)) == per_block.max(
                axis=(2, 3))).all()
            assert per_block[:, :, 0, 0].sum() == math.ceil(ratio * 36)


def test_random_mode_masks_are_independent():
    """For independent uniform subsets of sizes k1, k2 of N patches,
    E|A ∩ B| = k1·k2/N (≈ r²·N); complementary masks never overlap."""
    np.random.seed(0)
    gen = generator(mode='random', mask_ratio=0.6, **SWIN)
    n, k = 36, math.ceil(0.6 * 36)
    overlaps, same_as_complement = [], 0
    for _ in range(2000):
        image_mask, structure_mask = draw(gen)
        a = blocks(image_mask, **SWIN)[:, :, 0, 0]
        b = blocks(structure_mask, **SWIN)[:, :, 0, 0]
        overlaps.append((a * b).sum() / n)
        same_as_complement += int((a + b == 1).all())
    expected = k * k / n**2
    # hypergeometric std of one overlap fraction ~0.083; of the mean ~0.002
    assert abs(np.mean(overlaps) - expected) < 0.01
    assert abs(np.mean(overlaps) - 0.6**2) < 0.02
    assert same_as_complement == 0


def test_random_mode_defaults_to_the_image_ratio():
    gen = generator(mode='random', mask_ratio=0.7, **SWIN)
    assert gen.structure_mask_ratio == 0.7
    assert gen.structure_mask_count == math.ceil(0.7 * 36)


@pytest.mark.parametrize('kwargs,argument', [
    (dict(input_size=200), 'input_size'),
    (dict(mask_patch_size=32, model_patch_size=5), 'mask_patch_size'),
    (dict(input_size=0), 'input_size'),
    (dict(model_patch_size=4.0), 'model_patch_size'),
    (dict(mask_ratio=0.0), 'mask_ratio'),
    (dict(mask_ratio=1.0), 'mask_ratio'),
    (dict(mask_ratio=-0.2), 'mask_ratio'),
    (dict(mask_ratio='0.6'), 'mask_ratio'),
    (dict(mode='blockwise'), 'mode'),
    (dict(structure_mask_ratio=0.5), 'structure_mask_ratio'),
    (dict(mode='random', structure_mask_ratio=1.5), 'structure_mask_ratio'),
])
def test_invalid_arguments_are_named(kwargs, argument):
    with pytest.raises(ValueError, match=f'^{argument}:'):
        generator(**kwargs)


def test_image_of_the_wrong_size_is_reported():
    results = dict(img=np.zeros((64, 96, 3), np.uint8), img_path='x.JPEG')
    with pytest.raises(ValueError, match=r'x\.JPEG.*input_size 192'):
        generator(**SWIN)(results)


def test_masks_survive_packing_as_tensors_of_one_dtype():
    results = generator(input_size=64, mask_patch_size=32,
                        model_patch_size=4)(
                            dict(img=np.zeros((64, 64, 3), np.uint8)))
    sample = PackInputs(algorithm_keys=['structure_mask'])(
        results)['data_samples']
    assert sample.mask.dtype == sample.structure_mask.dtype == torch.int64
    assert sample.mask.shape == sample.structure_mask.shape == (16, 16)
    assert torch.equal(sample.mask + sample.structure_mask,
                       torch.ones(16, 16, dtype=torch.int64))

"""StructureMapStandardize against an explicit sort-and-slice computation,
and FormatStructureMap."""
import math

import numpy as np
import pytest
import torch
from mmpretrain.registry import TRANSFORMS

import sgmim  # noqa: F401  (registers the transforms)
from sgmim.datasets.transforms import standardize_structure_map


def brute_force(structure_map, band=(0.1, 0.9), eps=1e-6):
    """Python lists: sort, slice [floor(lo·n), floor(hi·n)), mean and
    population std of the slice, applied to every value; all zeros when
    the slice holds one distinct value (degenerate)."""
    values = sorted(float(v) for v in structure_map.ravel())
    n = len(values)
    kept = values[int(band[0] * n):max(int(band[1] * n),
                                       int(band[0] * n) + 1)]
    if len(set(kept)) == 1:
        return np.zeros(structure_map.shape)
    mean = sum(kept) / len(kept)
    std = math.sqrt(sum((v - mean)**2 for v in kept) / len(kept))
    return np.array([(float(v) - mean) / (std + eps)
                     for v in structure_map.ravel()]).reshape(
                         structure_map.shape)


def random_maps(rng):
    yield rng.uniform(0.5, 10.0, (24, 32)).astype(np.float32)
    yield rng.lognormal(0.0, 1.0, (17, 13)).astype(np.float32)
    yield rng.integers(0, 4, (20, 20)).astype(np.float32)  # many ties
    yield np.repeat(rng.uniform(1, 2, (6, 1)), 7, axis=1).astype(np.float32)
    yield np.full((9, 11), 3.25, np.float32)  # constant
    flat_band = np.full((10, 10), 5.0, np.float32)
    flat_band.flat[[0, -1]] = (0.0, 100.0)  # std(B) = 0: degenerate
    yield flat_band
    yield rng.uniform(0, 1, (1, 1)).astype(np.float32)
    yield rng.uniform(0, 1, (2, 3)).astype(np.float32)
    outliers = rng.uniform(1, 2, (10, 10)).astype(np.float32)
    outliers.flat[:5] = 1e4  # clipped out of the band's statistics
    yield outliers


@pytest.mark.parametrize('band', [(0.1, 0.9), (0.25, 0.75), (0.0, 1.0)])
def test_matches_brute_force(band):
    rng = np.random.default_rng(0)
    for structure_map in random_maps(rng):
        ours = standardize_structure_map(structure_map, band)
        assert ours.dtype == np.float32
        assert ours.shape == structure_map.shape
        expected = brute_force(structure_map, band)
        np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-4)


def degenerate_maps():
    flat_band = np.full((10, 10), 5.0, np.float32)
    flat_band.flat[[0, -1]] = (0.0, 100.0)  # outliers outside the band
    return dict(zeros=np.zeros((8, 8), np.float32),
                constant=np.full((8, 8), 7.0, np.float32),
                flat_band=flat_band)


@pytest.mark.parametrize('name', ['zeros', 'constant', 'flat_band'])
def test_degenerate_map_becomes_zeros_without_dividing(name):
    """Zero spread in the band: s' = 0 everywhere, never (s - mean) / eps."""
    with np.errstate(all='raise'):
        out = standardize_structure_map(degenerate_maps()[name])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.zeros_like(out))


@pytest.mark.parametrize('name', ['zeros', 'constant', 'flat_band'])
def test_transform_flags_and_names_degenerate_map(name):
    results = dict(structure_map=degenerate_maps()[name],
                   structure_map_path='depth/a_0003.png',
                   img_path='train/a_0003.JPEG')
    transform = TRANSFORMS.build(dict(type='StructureMapStandardize'))
    with pytest.warns(UserWarning, match=r'degenerate structure_map '
                      r'depth/a_0003\.png \(of image train/a_0003\.JPEG\)'):
        out = transform(results)
    assert out['structure_map_degenerate'] is True
    np.testing.assert_array_equal(out['structure_map'], 0.0)


def test_transform_flags_valid_map_as_not_degenerate(recwarn):
    structure_map = np.arange(64, dtype=np.float32).reshape(8, 8)
    out = TRANSFORMS.build(dict(type='StructureMapStandardize'))(
        dict(structure_map=structure_map))
    assert out['structure_map_degenerate'] is False
    assert not [w for w in recwarn if 'degenerate' in str(w.message)]


def test_band_has_zero_mean_and_unit_std():
    rng = np.random.default_rng(1)
    structure_map = rng.gamma(2.0, 2.0, (48, 48)).astype(np.float32)
    out = np.sort(standardize_structure_map(structure_map), axis=None)
    band = out[int(0.1 * out.size):int(0.9 * out.size)].astype(np.float64)
    assert abs(band.mean()) < 1e-5
    assert abs(band.std() - 1.0) < 1e-5


def test_transform_standardizes_each_map_key():
    rng = np.random.default_rng(2)
    results = dict(structure_map=rng.uniform(0, 5, (10, 12)),
                   other=rng.uniform(0, 5, (10, 12)).astype(np.float32),
                   img=np.zeros((10, 12, 3), np.uint8))
    expected = {key: brute_force(results[key], (0.2, 0.8))
                for key in ('structure_map', 'other')}
    out = TRANSFORMS.build(
        dict(type='StructureMapStandardize', band=(0.2, 0.8),
             map_keys=('structure_map', 'other')))(results)
    for key, value in expected.items():
        assert out[key].dtype == np.float32
        np.testing.assert_allclose(out[key], value, rtol=1e-5, atol=1e-5)
    assert not out['img'].any()


@pytest.mark.parametrize('kwargs,argument', [
    (dict(band=(0.9, 0.1)), 'band'),
    (dict(band=(-0.1, 0.9)), 'band'),
    (dict(band=(0.1, 1.1)), 'band'),
    (dict(eps=0.0), 'eps'),
    (dict(map_keys='structure_map'), 'map_keys'),
])
def test_invalid_arguments_are_named(kwargs, argument):
    with pytest.raises(ValueError, match=f'^{argument}:'):
        TRANSFORMS.build(dict(type='StructureMapStandardize', **kwargs))


def test_format_structure_map_to_float_tensor():
    structure_map = np.arange(20, dtype=np.float64).reshape(4, 5)[:, ::-1]
    out = TRANSFORMS.build(dict(type='FormatStructureMap'))(
        dict(structure_map=structure_map))['structure_map']
    assert isinstance(out, torch.Tensor)
    assert out.dtype == torch.float32 and out.shape == (1, 4, 5)
    np.testing.assert_array_equal(out[0].numpy(), structure_map)


def test_format_structure_map_rejects_non_maps():
    transform = TRANSFORMS.build(dict(type='FormatStructureMap'))
    with pytest.raises(TypeError, match='a.JPEG.*2-D'):
        transform(dict(structure_map=np.zeros((4, 5, 2)), img_path='a.JPEG'))

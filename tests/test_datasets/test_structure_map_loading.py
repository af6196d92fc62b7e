"""LoadStructureMap: every supported file kind, and every error naming both
the map file and the image file."""
import cv2
import numpy as np
import pytest
from mmpretrain.registry import TRANSFORMS

import sgmim  # noqa: F401  (registers the transforms)
from sgmim.datasets.transforms import StructureMapError

H, W = 12, 17


def load(map_path, img_hw=(H, W), **kwargs):
    results = dict(img=np.zeros((*img_hw, 3), np.uint8),
                   img_path='images/cat/a.JPEG',
                   structure_map_path=str(map_path))
    return TRANSFORMS.build(dict(type='LoadStructureMap', **kwargs))(
        results)['structure_map']


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_16bit_png_in_millimetres_becomes_metres(tmp_path, rng):
    stored = rng.integers(0, 65536, (H, W)).astype(np.uint16)
    cv2.imwrite(str(tmp_path / 'a.png'), stored)
    out = load(tmp_path / 'a.png')
    assert out.dtype == np.float32 and out.shape == (H, W)
    np.testing.assert_allclose(out, stored / 1000.0, rtol=1e-6)


def test_8bit_png_with_its_own_scale(tmp_path, rng):
    stored = rng.integers(0, 256, (H, W)).astype(np.uint8)
    cv2.imwrite(str(tmp_path / 'a.png'), stored)
    out = load(tmp_path / 'a.png', scale=1 / 255)
    np.testing.assert_allclose(out, stored / 255.0, rtol=1e-6)


@pytest.mark.parametrize('shape', [(H, W), (H, W, 1)])
def test_float_npy_is_taken_as_stored(tmp_path, rng, shape):
    stored = rng.uniform(0.1, 80.0, shape)
    np.save(tmp_path / 'a.npy', stored)
    out = load(tmp_path / 'a.npy')
    assert out.dtype == np.float32 and out.shape == (H, W)
    np.testing.assert_array_equal(out, stored.reshape(H, W).astype(
        np.float32))


def test_integer_npy_is_scaled(tmp_path, rng):
    stored = rng.integers(0, 5000, (H, W)).astype(np.int32)
    np.save(tmp_path / 'a.npy', stored)
    np.testing.assert_allclose(load(tmp_path / 'a.npy', scale=0.5),
                               stored * 0.5)


def test_npz_first_array_or_named_key(tmp_path, rng):
    first, second = rng.uniform(0, 1, (2, H, W)).astype(np.float32)
    np.savez(tmp_path / 'a.npz', depth=first, other=second)
    np.testing.assert_array_equal(load(tmp_path / 'a.npz'), first)
    np.testing.assert_array_equal(load(tmp_path / 'a.npz', npz_key='other'),
                                  second)
    with pytest.raises(StructureMapError, match="no array 'missing'"):
        load(tmp_path / 'a.npz', npz_key='missing')


def write_bytes(path, data):
    path.write_bytes(data)
    return path


def save_png(folder, array):
    cv2.imwrite(str(folder / 'a.png'), array)
    return folder / 'a.png'


def save_npy(folder, array):
    np.save(folder / 'a.npy', array)
    return folder / 'a.npy'


def truncated_png(folder):
    data = save_png(folder, np.arange(H * W, dtype=np.uint16).reshape(
        H, W) * 300).read_bytes()
    return write_bytes(folder / 'truncated.png', data[:len(data) // 2])


def empty_npz(folder):
    np.savez(folder / 'a.npz')
    return folder / 'a.npz'


BAD_MAPS = {  # kind: (write it into a folder, expected reason)
    'garbage png': (lambda d: write_bytes(d / 'a.png', b'not a png'),
                    'cannot be decoded'),
    'truncated png': (truncated_png, 'cannot be decoded'),
    'empty png': (lambda d: write_bytes(d / 'a.png', b''),
                  r'is empty \(0 bytes\)'),
    'empty npy': (lambda d: write_bytes(d / 'a.npy', b''),
                  r'is empty \(0 bytes\)'),
    'garbage npy': (lambda d: write_bytes(d / 'a.npy', b'\x93NUMPY'),
                    'cannot be read'),
    'rgb png': (lambda d: save_png(d, np.zeros((H, W, 3), np.uint8)),
                'single-channel'),
    'two-channel npy': (lambda d: save_npy(d, np.zeros((H, W, 2))),
                        'single-channel'),
    '1-d npy': (lambda d: save_npy(d, np.zeros(H * W)), 'single-channel'),
    'wrong size': (lambda d: save_png(d, np.zeros((H, W + 1), np.uint16)),
                   'differs from the image'),
    'nan npy': (lambda d: save_npy(d, np.full((H, W), np.nan)),
                'non-finite'),
    'bool npy': (lambda d: save_npy(d, np.ones((H, W), bool)), 'dtype bool'),
    'empty npz': (empty_npz, 'no array'),
}


@pytest.mark.parametrize('kind', sorted(BAD_MAPS))
def test_unusable_map_names_map_and_image(tmp_path, kind):
    make, reason = BAD_MAPS[kind]
    map_path = make(tmp_path)
    with pytest.raises(StructureMapError) as error:
        load(map_path)
    message = str(error.value)
    assert str(map_path) in message and 'images/cat/a.JPEG' in message
    assert error.match(reason)


def test_missing_file_names_map_and_image(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        load(tmp_path / 'absent.png')
    assert str(tmp_path / 'absent.png') in str(error.value)
    assert 'images/cat/a.JPEG' in str(error.value)


def test_needs_the_loaded_image(tmp_path):
    transform = TRANSFORMS.build(dict(type='LoadStructureMap'))
    with pytest.raises(KeyError, match='after LoadImageFromFile'):
        transform(dict(structure_map_path=str(tmp_path / 'a.png'),
                       img_path='a.JPEG'))


@pytest.mark.parametrize('scale', [0, -1.0, float('nan'), '0.001'])
def test_invalid_scale(scale):
    with pytest.raises(ValueError, match='^scale:'):
        TRANSFORMS.build(dict(type='LoadStructureMap', scale=scale))

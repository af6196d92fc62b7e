"""IBimsDataset + LoadIBimsSample on hand-written iBims-1 samples: a .mat
(scipy.io.savemat, the official fields) and the PNG variant."""
import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from scipy import io as sio

import sgmim.datasets  # noqa: F401  (registers the dataset and transform)
from sgmim.datasets import (IBimsDataset, IBimsFileError, LoadIBimsSample,
                            parse_calib_text)

H, W = 6, 8
FX, FY, CX, CY = 50.0, 51.0, 4.5, 3.5


@pytest.fixture(autouse=True)
def mmseg_scope():
    init_default_scope('mmseg')


def fields():
    rng = np.random.default_rng(0)
    wall = np.zeros((H, W), np.uint8)
    wall[:, :4] = 1
    wall[:, 4:] = 2
    edges = np.zeros((H, W), np.uint8)
    edges[:, 4] = 1
    invalid = np.ones((H, W), np.uint8)
    invalid[0, 0] = 0
    transp = np.ones((H, W), np.uint8)
    transp[5, 7] = 0
    return {
        'rgb': rng.integers(0, 256, (H, W, 3), dtype=np.uint8),
        'depth': rng.uniform(1, 5, (H, W)).astype(np.float32),
        'edges': edges,
        # K transposed: cx, cy in the last row
        'calib': np.array([[FX, 0, 0], [0, FY, 0], [CX, CY, 1]]),
        'mask_invalid': invalid,
        'mask_transp': transp,
        'mask_wall': wall,
        'mask_wall_paras': np.array([[0, 0, 0, 0, 0.0, 1.0, 0.0],
                                     [0, 0, 0, 0, 1.0, 0.0, 0.0]]),
        'mask_table': np.zeros((H, W), np.uint8),
        'mask_table_paras': np.zeros((0, 7)),
        'mask_floor': np.zeros((H, W), np.uint8),
        'mask_floor_paras': np.zeros((0, 7)),
    }


def write_mat(root, name, data):
    (root / 'ibims1_core_mat').mkdir(parents=True, exist_ok=True)
    sio.savemat(str(root / 'ibims1_core_mat' / f'{name}.mat'),
                {'data': data})


def write_png_sample(root, name, data, calib_text=None):
    raw = root / 'ibims1_core_raw'
    for key in ('rgb', 'depth', 'calib', 'edges', 'mask_invalid',
                'mask_transp', 'mask_wall', 'mask_wall_paras'):
        (raw / key).mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(raw / 'rgb' / f'{name}.png'), data['rgb'][..., ::-1])
    stored = np.round(data['depth'] * 65535 / 50).astype(np.uint16)
    cv2.imwrite(str(raw / 'depth' / f'{name}.png'), stored)
    for key in ('edges', 'mask_invalid', 'mask_transp', 'mask_wall'):
        cv2.imwrite(str(raw / key / f'{name}.png'), data[key])
    (raw / 'calib' / f'{name}.txt').write_text(
        calib_text or f'{FX},{FY},{CX},{CY}\n')
    (raw / 'mask_wall_paras' / f'{name}.txt').write_text('\n'.join(
        ' '.join(str(v) for v in row) for row in data['mask_wall_paras']))
    return stored


def dataset(root, data_format='mat', names=('room_01', )):
    (root / 'imagelist.txt').write_text('\n'.join(names) + '\n\n')
    return IBimsDataset(
        data_root=str(root), data_format=data_format,
        pipeline=[dict(type='LoadIBimsSample'),
                  dict(type='PackSegInputs',
                       meta_keys=('img_path', 'ori_shape', 'ibims_name',
                                  'ibims_gt'))])


def check_common(sample, data, depth):
    packed = sample['data_samples']
    np.testing.assert_array_equal(sample['inputs'].permute(1, 2, 0).numpy(),
                                  data['rgb'][..., ::-1])  # BGR
    np.testing.assert_allclose(packed.gt_depth_map.data[0].numpy(), depth,
                               rtol=1e-6)
    info = packed.ibims_gt
    assert info['calib'] == (FX, FY, CX, CY)
    expected_mask = np.ones((H, W), bool)
    expected_mask[0, 0] = expected_mask[5, 7] = False
    np.testing.assert_array_equal(info['mask'], expected_mask)
    np.testing.assert_array_equal(info['edges'], data['edges'] != 0)
    np.testing.assert_array_equal(info['planes']['wall']['labels'],
                                  data['mask_wall'])
    np.testing.assert_array_equal(info['planes']['wall']['normals'],
                                  [[0, 1, 0], [1, 0, 0]])
    assert packed.ori_shape == (H, W) and packed.ibims_name == 'room_01'


def test_reads_a_mat_file(tmp_path):
    data = fields()
    write_mat(tmp_path, 'room_01', data)
    ds = dataset(tmp_path, names=('room_01.mat', ))
    assert len(ds) == 1 and ds.metainfo['depth_scale'] == 65535 / 50
    sample = ds[0]
    check_common(sample, data, data['depth'])
    planes = sample['data_samples'].ibims_gt['planes']
    assert planes['table']['normals'].shape == (0, 3)


def test_reads_the_png_variant(tmp_path):
    data = fields()
    stored = write_png_sample(tmp_path, 'room_01', data)
    ds = dataset(tmp_path, 'png')
    assert ds[0]['data_samples'].img_path.endswith('rgb/room_01.png')
    # uint16 · 50 / 65535 metres
    check_common(ds[0], data, stored.astype(np.float64) * 50 / 65535)
    assert set(ds[0]['data_samples'].ibims_gt['planes']) == {'wall'}


@pytest.mark.parametrize('field', ['mask_transp', 'mask_floor_paras'])
def test_a_mat_lacking_a_field_names_file_and_field(tmp_path, field):
    data = fields()
    del data[field]
    write_mat(tmp_path, 'room_01', data)
    with pytest.raises(IBimsFileError, match=rf'room_01\.mat has no field '
                       rf"'{field}'"):
        dataset(tmp_path)[0]


def test_bad_mat_fields_are_named(tmp_path):
    data = fields()
    data['mask_wall'] = data['mask_wall'] * 2  # labels 2, 4: no 4th row
    write_mat(tmp_path, 'room_01', data)
    with pytest.raises(IBimsFileError, match='label 4 has no row in '
                       'mask_wall_paras'):
        dataset(tmp_path)[0]
    data = fields()
    data['mask_transp'] = np.ones((H, W + 1))
    write_mat(tmp_path, 'room_01', data)
    with pytest.raises(IBimsFileError, match='mask_transp has shape'):
        dataset(tmp_path)[0]
    data = fields()
    data['calib'] = np.eye(3) * 0
    write_mat(tmp_path, 'room_01', data)
    with pytest.raises(IBimsFileError, match='room_01.mat: bad calib'):
        dataset(tmp_path)[0]
    (tmp_path / 'ibims1_core_mat' / 'room_01.mat').write_bytes(b'junk')
    with pytest.raises(IBimsFileError, match='room_01.mat: cannot be read'):
        dataset(tmp_path)[0]


def test_missing_files_and_bad_lists(tmp_path):
    with pytest.raises(FileNotFoundError, match='image list'):
        IBimsDataset(data_root=str(tmp_path))
    write_mat(tmp_path, 'room_01', fields())
    with pytest.raises(FileNotFoundError, match=r"'room_02', line 2 of"):
        dataset(tmp_path, names=('room_01', 'room_02'))
    with pytest.raises(ValueError, match='listed twice'):
        dataset(tmp_path, names=('room_01', 'room_01.mat'))
    with pytest.raises(ValueError, match='data_format'):
        IBimsDataset(data_root=str(tmp_path), data_format='jpg')
    # the PNG variant checks its required files
    write_png_sample(tmp_path, 'room_01', fields())
    (tmp_path / 'ibims1_core_raw' / 'mask_transp' / 'room_01.png').unlink()
    with pytest.raises(FileNotFoundError, match='mask_transp/room_01.png'):
        dataset(tmp_path, 'png')
    # a plane mask without its parameters
    write_png_sample(tmp_path, 'room_01', fields())
    (tmp_path / 'ibims1_core_raw' / 'mask_wall_paras' /
     'room_01.txt').unlink()
    with pytest.raises(IBimsFileError, match='has no companion'):
        dataset(tmp_path, 'png')[0]
    with pytest.raises(KeyError, match='ibims_format'):
        LoadIBimsSample()(dict(img_path='x'))


def test_calib_text_forms():
    four = parse_calib_text('50, 51, 4.5, 3.5', 'f')
    assert parse_calib_text('50 0 4.5\n0 51 3.5\n0 0 1', 'f') == four  # K
    assert parse_calib_text('50 0 0 0 51 0 4.5 3.5 1', 'f') == four  # K^T
    for bad in ('50 51 4.5', '50 0 4.5 0 51 3.5 1 0 1', 'a b c d',
                '-1 51 4.5 3.5'):
        with pytest.raises(IBimsFileError, match='calib'):
            parse_calib_text(bad, 'f')

"""NYUSyncDepthDataset (BTS file lists) against hand-written expectations and
against mmseg's NYUDataset on the same SynthScenes views, and its errors."""
import os
import shutil

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

import sgmim.datasets  # noqa: F401

CONFIGS = os.path.join(os.path.dirname(__file__), '..', '..', 'configs')
TRAIN_LIST = 'nyudepthv2_train_files_with_gt.txt'
TEST_LIST = 'nyudepthv2_test_files_with_gt.txt'
TEST_PREFIX = dict(img_path='official_splits/test',
                   depth_map_path='official_splits/test')
# mmseg's NYUDataset scene categories, written out (index = category_id).
KITCHEN, LIVING_ROOM, BATHROOM = 6, 2, 1


@pytest.fixture(scope='module', autouse=True)
def mmseg_scope():
    init_default_scope('mmseg')


@pytest.fixture(scope='module')
def synth_root(synth_workspace):
    """SynthScenes NYUv2 (8 train / 4 test views, both layouts)."""
    return synth_workspace / 'data' / 'synthscenes' / 'nyu'


def write_image(path, value, dtype=np.uint8, shape=(4, 6)):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full(shape, value, dtype))


@pytest.fixture
def bts_tree(tmp_path):
    """Three frames in the BTS layout, lines copied from the shape of BTS's
    lists: leading '/', a scene outside mmseg's classes, a blank line."""
    root = tmp_path / 'nyu_sync'
    frames = [('kitchen_0028b', 45), ('living_room_0038_out', 7),
              ('nyu_office_0', 112)]
    lines = []
    for k, (scene, frame) in enumerate(frames):
        write_image(root / 'sync' / scene / f'rgb_{frame:05d}.jpg', 10 * k)
        write_image(root / 'sync' / scene / f'sync_depth_{frame:05d}.png',
                    1000 * (k + 1), np.uint16)
        lines.append(f'/{scene}/rgb_{frame:05d}.jpg '
                     f'/{scene}/sync_depth_{frame:05d}.png 518.8579')
    (root / TRAIN_LIST).write_text('\n'.join(lines[:2] + [''] + lines[2:]) +
                                   '\n')
    test = root / 'official_splits' / 'test' / 'bathroom'
    write_image(test / 'rgb_00045.jpg', 5)
    write_image(test / 'sync_depth_00045.png', 2500, np.uint16)
    # BTS's test list has no final newline
    (root / TEST_LIST).write_text(
        'bathroom/rgb_00045.jpg bathroom/sync_depth_00045.png 518.8579')
    return root


def build(root, **kwargs):
    return DATASETS.build(
        dict(type='NYUSyncDepthDataset', data_root=str(root), **kwargs))


def test_bts_lines_parse_to_nyudataset_infos(bts_tree):
    ds = build(bts_tree)
    assert len(ds) == 3
    sync = os.path.join(str(bts_tree), 'sync')
    expected = [
        ('kitchen_0028b/rgb_00045.jpg', 'kitchen_0028b/sync_depth_00045.png',
         KITCHEN),
        ('living_room_0038_out/rgb_00007.jpg',
         'living_room_0038_out/sync_depth_00007.png', LIVING_ROOM),
        ('nyu_office_0/rgb_00112.jpg', 'nyu_office_0/sync_depth_00112.png',
         -1),
    ]
    for i, (rgb, depth, category) in enumerate(expected):
        info = ds.get_data_info(i)
        assert info['img_path'] == os.path.join(sync, rgb)
        assert info['depth_map_path'] == os.path.join(sync, depth)
        assert info['category_id'] == category
        assert info['focal_length'] == 518.8579
        assert info['seg_fields'] == []
    assert ds.metainfo['classes'][KITCHEN] == 'kitchen'
    assert ds.metainfo['depth_scale'] == 1000.0

    test = build(bts_tree, ann_file=TEST_LIST, data_prefix=TEST_PREFIX,
                 test_mode=True)
    info = test.get_data_info(0)
    assert len(test) == 1 and info['category_id'] == BATHROOM
    assert info['img_path'] == os.path.join(
        str(bts_tree), 'official_splits', 'test', 'bathroom', 'rgb_00045.jpg')


def test_two_column_lists_need_default_focal(bts_tree):
    (bts_tree / 'glp.txt').write_text(
        '/kitchen_0028b/rgb_00045.jpg /kitchen_0028b/sync_depth_00045.png\n')
    with pytest.raises(ValueError, match=r'line 1 of .*glp\.txt.*<focal>'):
        build(bts_tree, ann_file='glp.txt')
    ds = build(bts_tree, ann_file='glp.txt', default_focal=518.8579)
    assert ds.get_data_info(0)['focal_length'] == 518.8579


def test_same_infos_and_depth_as_mmseg_nyudataset(synth_root):
    """SynthScenes writes each view in both layouts: the BTS-list dataset
    and mmseg's NYUDataset see the same data, keys and categories."""
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
        dict(type='PackSegInputs',
             meta_keys=('img_path', 'depth_map_path', 'category_id')),
    ]
    for split, ann_file, prefix in (
            ('train', TRAIN_LIST, dict(img_path='sync',
                                       depth_map_path='sync')),
            ('test', TEST_LIST, TEST_PREFIX)):
        ours = build(synth_root, ann_file=ann_file, data_prefix=prefix,
                     pipeline=pipeline, test_mode=split == 'test')
        mmseg = DATASETS.build(
            dict(type='NYUDataset', data_root=str(synth_root),
                 test_mode=split == 'test',
                 data_prefix=dict(img_path=f'images/{split}',
                                  depth_map_path=f'annotations/{split}'),
                 pipeline=pipeline))
        assert len(ours) == len(mmseg) == {'train': 8, 'test': 4}[split]
        # NYUDataset names files <style>_%06d (view index), sorted by path
        by_index = {
            int(os.path.basename(mmseg.get_data_info(i)['img_path'])[-10:-4]):
            i for i in range(len(mmseg))
        }
        for i in range(len(ours)):
            info = ours.get_data_info(i)
            index = int(os.path.basename(info['img_path'])[4:9])
            ref = mmseg.get_data_info(by_index[index])
            assert set(info) == set(ref) | {'focal_length'}
            assert info['category_id'] == ref['category_id'] != -1
            a, b = ours[i], mmseg[by_index[index]]
            png = cv2.imread(info['depth_map_path'], cv2.IMREAD_UNCHANGED)
            np.testing.assert_allclose(
                a['data_samples'].gt_depth_map.data[0].numpy(), png / 1000.,
                rtol=1e-6)
            np.testing.assert_array_equal(
                a['data_samples'].gt_depth_map.data.numpy(),
                b['data_samples'].gt_depth_map.data.numpy())
            np.testing.assert_array_equal(a['inputs'].numpy(),
                                          b['inputs'].numpy())


def test_default_nyu_config_reads_synthscenes(synth_root):
    """The real NYU dataset config, data_root changed only, on SynthScenes."""
    cfg = Config.fromfile(
        os.path.join(CONFIGS, '_base_', 'datasets', 'nyu_depth_480x480.py'))
    for loader, count in (('train_dataloader', 8), ('test_dataloader', 4)):
        dataset = cfg[loader].dataset
        dataset.update(data_root=str(synth_root), pipeline=[])
        assert dataset.type == 'NYUSyncDepthDataset'
        assert len(DATASETS.build(dataset)) == count


# ------------------------------------------------------------------- errors
def test_missing_file_names_list_line_and_path(bts_tree):
    missing = bts_tree / 'sync' / 'nyu_office_0' / 'sync_depth_00112.png'
    os.remove(missing)
    with pytest.raises(FileNotFoundError) as err:
        build(bts_tree)
    msg = str(err.value)
    assert 'line 4' in msg and str(missing) in msg and TRAIN_LIST in msg
    assert len(build(bts_tree, check_files=False)) == 3
    with pytest.raises(FileNotFoundError, match='split file .*nope.txt'):
        build(bts_tree, ann_file='nope.txt')


@pytest.mark.parametrize('line, match', [
    ('/a/rgb_1.jpg /a/sync_depth_1.png 518.8579 extra',
     r'line 2 of .*bad\.txt.*expected "<rgb> <depth\|None> <focal>", got 4'),
    ('/a/rgb_1.jpg', r'line 2 of .*bad\.txt.*got 1 columns'),
    ('/a/rgb_1.jpg /a/sync_depth_1.png f=518',
     r"line 2 of .*bad\.txt.*focal length 'f=518' is not a number"),
])
def test_malformed_lines_are_named(bts_tree, line, match):
    first = (bts_tree / TRAIN_LIST).read_text().splitlines()[0]
    (bts_tree / 'bad.txt').write_text(f'{first}\n{line}\n')
    with pytest.raises(ValueError, match=match):
        build(bts_tree, ann_file='bad.txt')


def test_empty_list_and_bad_arguments(bts_tree, tmp_path):
    (bts_tree / 'empty.txt').write_text('\n\n')
    with pytest.raises(ValueError, match='no usable line'):
        build(bts_tree, ann_file='empty.txt')
    with pytest.raises(ValueError, match='ann_file'):
        build(bts_tree, ann_file='')
    with pytest.raises(ValueError, match='test_mode'):
        build(bts_tree, keep_missing_depth=True)
    copy = tmp_path / 'copy'
    shutil.copytree(bts_tree, copy)
    text = (copy / TRAIN_LIST).read_text().replace(
        '/kitchen_0028b/sync_depth_00045.png', 'None')
    (copy / TRAIN_LIST).write_text(text)
    assert len(build(copy)) == 2
    ds = build(copy, test_mode=True, keep_missing_depth=True)
    assert len(ds) == 3 and ds.get_data_info(0)['depth_map_path'] is None

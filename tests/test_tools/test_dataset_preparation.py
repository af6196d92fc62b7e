"""Dataset preparation from tiny fake trees in the official layouts."""
import importlib.util
import os

import cv2
import numpy as np
import pytest
import scipy.io
from mmengine.registry import init_default_scope
from mmseg.datasets import NYUDataset
from mmseg.registry import DATASETS
from tool_helpers import TOOLS

from sgmim.datasets.preparation import (NYULabeledMat, parse_split_line,
                                        prepare_kitti, prepare_nyu,
                                        prepare_nyu_sync, read_focal)

DATE = '2011_09_26'
DRIVE = f'{DATE}_drive_0002_sync'
FOCAL = 721.5377


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, TOOLS / 'dataset_converters' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_png(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), array)


@pytest.fixture
def kitti_official(tmp_path):
    """Raw drive (5 frames, calib), annotated depth for frames 1-4 (train
    and val subsets), Eigen lists in both supported formats."""
    raw, depth = tmp_path / 'raw', tmp_path / 'data_depth_annotated'
    for frame in range(5):
        write_png(raw / DATE / DRIVE / 'image_02' / 'data' /
                  f'{frame:010d}.png', np.full((4, 6, 3), frame, np.uint8))
    for frame, subset in [(1, 'train'), (2, 'train'), (3, 'val'),
                          (4, 'val')]:
        write_png(depth / subset / DRIVE / 'proj_depth' / 'groundtruth' /
                  'image_02' / f'{frame:010d}.png',
                  np.full((4, 6), 256 * frame, np.uint16))
    (raw / DATE / 'calib_cam_to_cam.txt').write_text(
        'calib_time: 09-Jan-2012 13:57:47\n'
        'P_rect_00: 7.215377e+02 0 6.095593e+02 0 0 7.215377e+02 1.72854e+02 '
        '0 0 0 1 0\n'
        f'P_rect_02: {FOCAL:e} 0.000000e+00 6.095593e+02 4.485728e+01 '
        '0 7.215377e+02 1.728540e+02 2.163791e-01 0 0 1 2.745884e-03\n')
    train = tmp_path / 'eigen_train_files.txt'
    train.write_text(f'{DATE}/{DRIVE}/image_02/data/0000000000.png x 1\n'
                     f'{DATE}/{DRIVE}/image_02/data/0000000001.png x 1\n\n')
    test = tmp_path / 'eigen_test_files.txt'
    test.write_text(f'{DATE}/{DRIVE} 3 l\n{DATE}/{DRIVE} 4 l\n')
    return dict(raw_root=str(raw), depth_root=str(depth),
                split_files=dict(train=str(train), test=str(test)))


def test_parse_split_line_formats():
    assert parse_split_line(f'{DATE}/{DRIVE} 69 r') == (
        f'{DATE}/{DRIVE}/image_03/data/0000000069.png')
    assert parse_split_line('a/b/image_02/data/1.png b 7') == (
        'a/b/image_02/data/1.png')
    assert parse_split_line('  \n') is None
    with pytest.raises(ValueError, match='cannot parse'):
        parse_split_line('garbage')


@pytest.mark.parametrize('copy', [False, True])
def test_prepare_kitti(kitti_official, tmp_path, copy):
    out = tmp_path / 'data' / 'kitti'
    summary = prepare_kitti(**kitti_official, out_dir=str(out), copy=copy,
                            progress=False)
    assert summary == dict(train=dict(frames=2, with_depth=1),
                           test=dict(frames=2, with_depth=2))
    img = f'{DATE}/{DRIVE}/image_02/data/'
    gt = f'{DRIVE}/proj_depth/groundtruth/image_02/'
    assert (out / 'eigen_train_files_with_gt.txt').read_text().splitlines() \
        == [f'{img}0000000000.png None {FOCAL:.4f}',
            f'{img}0000000001.png {gt}0000000001.png {FOCAL:.4f}']
    test_lines = (out / 'eigen_test_files_with_gt.txt').read_text().split()
    assert test_lines[:3] == [f'{img}0000000003.png', f'{gt}0000000003.png',
                              f'{FOCAL:.4f}']
    for rgb, depth, _ in (l.split() for l in (
            out / 'eigen_test_files_with_gt.txt').read_text().splitlines()):
        assert (out / 'raw' / rgb).is_symlink() != copy
        frame = int(rgb[-14:-4])
        assert cv2.imread(str(out / 'raw' / rgb))[0, 0, 0] == frame
        assert cv2.imread(str(out / 'depth' / depth),
                          cv2.IMREAD_UNCHANGED)[0, 0] == 256 * frame
    assert read_focal(str(out / 'raw' / DATE / 'calib_cam_to_cam.txt')) \
        == pytest.approx(FOCAL)


def test_kitti_missing_inputs_are_named(kitti_official, tmp_path):
    missing_img = (f'{kitti_official["raw_root"]}/{DATE}/{DRIVE}/image_02/'
                   'data/0000000003.png')
    os.remove(missing_img)
    with pytest.raises(FileNotFoundError, match=missing_img):
        prepare_kitti(**kitti_official, out_dir=str(tmp_path / 'o'),
                      progress=False)
    tool = load_tool('prepare_kitti')
    with pytest.raises(SystemExit, match='no_such_raw'):
        tool.main(['--raw-root', str(tmp_path / 'no_such_raw'),
                   '--depth-root', kitti_official['depth_root'],
                   '--train-list', kitti_official['split_files']['train'],
                   '--test-list', kitti_official['split_files']['test'],
                   '-o', str(tmp_path / 'o')])
    calib = f'{kitti_official["raw_root"]}/{DATE}/calib_cam_to_cam.txt'
    os.remove(calib)
    kitti_official['split_files'].pop('test')
    with pytest.raises(FileNotFoundError, match=calib):
        prepare_kitti(**kitti_official, out_dir=str(tmp_path / 'o'),
                      progress=False)


@pytest.fixture
def nyu_official(tmp_path):
    """A 5-sample labeled .mat (v5 layout) and its splits.mat."""
    rng = np.random.default_rng(0)
    ramp = np.arange(16)[None, :, None, None] * 4  # smooth: JPEG-friendly
    images = np.broadcast_to(
        ramp + 60 * np.arange(3)[:, None] + 10 * np.arange(5),
        (12, 16, 3, 5)).astype(np.uint8)
    depths = rng.uniform(0.5, 9.5, (12, 16, 5)).astype(np.float32)
    depths[0, 0, 0] = 0
    scene_types = np.empty((5, 1), dtype=object)
    for i, name in enumerate(['kitchen', 'bedroom', 'living_room',
                              'bathroom', 'kitchen']):
        scene_types[i, 0] = name
    labeled = tmp_path / 'nyu_depth_v2_labeled.mat'
    scipy.io.savemat(labeled, dict(images=images, depths=depths,
                                   sceneTypes=scene_types))
    splits = tmp_path / 'splits.mat'
    scipy.io.savemat(splits, dict(trainNdxs=np.array([[1], [3], [4]]),
                                  testNdxs=np.array([[2], [5]])))
    return dict(labeled=labeled, splits=splits, images=images, depths=depths)


def test_prepare_nyu(nyu_official, tmp_path):
    out = tmp_path / 'data' / 'nyu'
    counts = prepare_nyu(str(nyu_official['labeled']),
                         str(nyu_official['splits']), str(out),
                         progress=False)
    assert counts == dict(train=3, test=2)
    assert sorted(os.listdir(out / 'images' / 'train')) == [
        'bathroom_000004.jpg', 'kitchen_000001.jpg', 'living_room_000003.jpg']
    assert sorted(os.listdir(out / 'annotations' / 'test')) == [
        'bedroom_000002.png', 'kitchen_000005.png']
    depth = cv2.imread(str(out / 'annotations' / 'train' /
                           'kitchen_000001.png'), cv2.IMREAD_UNCHANGED)
    assert depth.dtype == np.uint16
    np.testing.assert_array_equal(
        depth, np.round(nyu_official['depths'][..., 0] * 1000))
    assert depth[0, 0] == 0
    rgb = cv2.imread(str(out / 'images' / 'test' / 'bedroom_000002.jpg'))
    diff = np.abs(rgb[..., ::-1].astype(int) -
                  nyu_official['images'][..., 1].astype(int))
    assert diff.mean() < 4  # JPEG loss only; a channel swap gives ~80

    dataset = NYUDataset(data_root=str(out), data_prefix=dict(
        img_path='images/test', depth_map_path='annotations/test'),
        pipeline=[])
    assert len(dataset) == 2
    info = dataset.get_data_info(0)
    assert info['depth_map_path'].endswith('annotations/test/'
                                           'bedroom_000002.png')
    assert info['category_id'] == dataset.metainfo['classes'].index(
        'bedroom')


def test_nyu_errors_are_clear(nyu_official, tmp_path):
    tool = load_tool('prepare_nyu')
    with pytest.raises(SystemExit, match='no_such.mat'):
        tool.main([str(tmp_path / 'no_such.mat'),
                   str(nyu_official['splits']), '-o', str(tmp_path / 'o')])
    bad = tmp_path / 'bad_splits.mat'
    scipy.io.savemat(bad, dict(trainNdxs=np.array([[9]]),
                               testNdxs=np.array([[1]])))
    with pytest.raises(SystemExit, match='train index 9 outside 1..5'):
        tool.main([str(nyu_official['labeled']), str(bad), '-o',
                   str(tmp_path / 'o')])


def test_nyu_v73_without_h5py_names_h5py(tmp_path, monkeypatch):
    """A v7.3 (HDF5) .mat without h5py fails with an install hint."""
    import builtins
    path = tmp_path / 'nyu_depth_v2_labeled.mat'
    header = b'MATLAB 7.3 MAT-file, Platform: GLNXA64'.ljust(116) + b' ' * 8
    path.write_bytes(header + b'\x00\x02IM' + b'\x00' * 512)
    real_import = builtins.__import__

    def no_h5py(name, *args, **kwargs):
        if name == 'h5py':
            raise ImportError('No module named h5py')
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, '__import__', no_h5py)
    with pytest.raises(ImportError, match='install h5py'):
        NYULabeledMat(str(path))


def test_nyu_v73_with_h5py(tmp_path):
    """The official HDF5 layout (transposed arrays, scene-type refs)."""
    h5py = pytest.importorskip('h5py')
    path = tmp_path / 'nyu_depth_v2_labeled.mat'
    images = np.arange(2 * 3 * 6 * 4, dtype=np.uint8).reshape(2, 3, 6, 4)
    depths = np.random.rand(2, 6, 4).astype(np.float32)
    with h5py.File(path, 'w', userblock_size=512) as f:
        f['images'], f['depths'] = images, depths
        refs = []
        for i, name in enumerate(['kitchen', 'office']):
            f[f'#refs#/{i}'] = np.array([[ord(c)] for c in name], np.uint16)
            refs.append(f[f'#refs#/{i}'].ref)
        f.create_dataset('sceneTypes', data=np.array([refs]),
                         dtype=h5py.ref_dtype)
    with open(path, 'r+b') as f:
        f.write(b'MATLAB 7.3 MAT-file'.ljust(116) + b' ' * 8 + b'\x00\x02IM')
    data = NYULabeledMat(str(path))
    assert len(data) == 2 and data.scene_type(1) == 'office'
    np.testing.assert_array_equal(data.image(1), images[1].transpose(2, 1, 0))
    np.testing.assert_array_equal(data.depth(0), depths[0].T)


# ------------------------------------------------- NYUv2 BTS "sync" release
NYU_FRAMES = {'train': [('kitchen_0028b', 45), ('living_room_0019', 111),
                        ('kitchen_0028b', 46)],
              'test': [('bathroom', 45), ('bedroom', 507)]}


@pytest.fixture
def nyu_bts(tmp_path):
    """A BTS ``nyu_depth_v2`` folder (sync/ + official_splits/test/) and
    BTS-style lists: leading '/' in the train list, no final newline in the
    test list, as BTS's files."""
    root = tmp_path / 'nyu_depth_v2'
    lists = {}
    for split, frames in NYU_FRAMES.items():
        base = root / ('sync' if split == 'train' else 'official_splits/test')
        lead = '/' if split == 'train' else ''
        lines = []
        for k, (scene, frame) in enumerate(frames):
            cv2.imwrite(str(_mkdir(base / scene) / f'rgb_{frame:05d}.jpg'),
                        np.full((4, 6, 3), 20 * k, np.uint8))
            write_png(base / scene / f'sync_depth_{frame:05d}.png',
                      np.full((4, 6), 1000 + frame, np.uint16))
            lines.append(f'{lead}{scene}/rgb_{frame:05d}.jpg '
                         f'{lead}{scene}/sync_depth_{frame:05d}.png 518.8579')
        lists[split] = tmp_path / f'nyudepthv2_{split}_files_with_gt.txt'
        lists[split].write_text('\n'.join(lines) +
                                ('\n\n' if split == 'train' else ''))
    return dict(root=root, sync_root=str(root / 'sync'),
                test_root=str(root / 'official_splits' / 'test'),
                lists={k: str(v) for k, v in lists.items()})


def _mkdir(path):
    path.mkdir(parents=True, exist_ok=True)
    return path


def _run_nyu_sync(nyu_bts, out, **kwargs):
    return prepare_nyu_sync(nyu_bts['sync_root'], nyu_bts['test_root'],
                            nyu_bts['lists'], str(out), progress=False,
                            **kwargs)


@pytest.mark.parametrize('link', [False, True])
def test_prepare_nyu_sync(nyu_bts, tmp_path, link):
    out = tmp_path / 'data' / 'nyu_sync'
    summary = _run_nyu_sync(nyu_bts, out, link=link)
    assert {s: (c['frames'], c['scenes']) for s, c in summary.items()} == \
        dict(train=(3, 2), test=(2, 2))
    for split, frames in NYU_FRAMES.items():
        list_path = out / f'nyudepthv2_{split}_files_with_gt.txt'
        assert summary[split]['list'] == str(list_path)
        # the input's lines, one a line, newline-terminated
        lines = open(nyu_bts['lists'][split]).read().split('\n')
        assert list_path.read_text() == ''.join(
            line + '\n' for line in lines if line)
        base = out / ('sync' if split == 'train' else 'official_splits/test')
        for k, (scene, frame) in enumerate(frames):
            rgb = base / scene / f'rgb_{frame:05d}.jpg'
            depth = base / scene / f'sync_depth_{frame:05d}.png'
            assert rgb.is_symlink() == depth.is_symlink() == link
            assert cv2.imread(str(depth), cv2.IMREAD_UNCHANGED)[0, 0] == \
                1000 + frame
            assert abs(int(cv2.imread(str(rgb))[0, 0, 0]) - 20 * k) <= 2
    assert not [p for p in out.rglob('*.tmp')]
    # what the NYU configs read
    init_default_scope('mmseg')
    train = DATASETS.build(dict(type='NYUSyncDepthDataset',
                                data_root=str(out)))
    assert len(train) == 3
    classes = NYUDataset.METAINFO['classes']
    assert train.get_data_info(1)['category_id'] == classes.index(
        'living_room')
    test = DATASETS.build(dict(
        type='NYUSyncDepthDataset', data_root=str(out), test_mode=True,
        ann_file='nyudepthv2_test_files_with_gt.txt',
        data_prefix=dict(img_path='official_splits/test',
                         depth_map_path='official_splits/test')))
    assert [test.get_data_info(i)['category_id'] for i in range(2)] == [
        classes.index('bathroom'), classes.index('bedroom')]


def test_nyu_sync_in_place_and_rerun(nyu_bts, tmp_path):
    """``out_dir`` = the input root: files stay as they are, the lists are
    added; a second --link run over its own output changes nothing."""
    root = nyu_bts['root']
    rgb = root / 'sync' / 'kitchen_0028b' / 'rgb_00045.jpg'
    before = os.stat(rgb)
    _run_nyu_sync(nyu_bts, root)
    after = os.stat(rgb)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino,
                                                 before.st_mtime_ns)
    assert not rgb.is_symlink()
    assert len((root / 'nyudepthv2_train_files_with_gt.txt').read_text()
               .splitlines()) == 3
    out = tmp_path / 'linked'
    _run_nyu_sync(nyu_bts, out, link=True)
    link = out / 'sync' / 'kitchen_0028b' / 'rgb_00045.jpg'
    target = os.readlink(link)
    _run_nyu_sync(nyu_bts, out, link=True)
    assert os.readlink(link) == target == str(rgb)
    _run_nyu_sync(nyu_bts, out)  # a copy now replaces the link
    assert not link.is_symlink() and link.read_bytes() == rgb.read_bytes()


def test_nyu_sync_two_column_lists_get_the_focal(nyu_bts, tmp_path):
    """GLPDepth's train_list.txt / test_list.txt: no focal column."""
    for split, path in nyu_bts['lists'].items():
        lines = open(path).read().splitlines()
        with open(path, 'w') as f:
            f.write(''.join(' '.join(line.split()[:2]) + '\n'
                            for line in lines if line))
    out = tmp_path / 'o'
    _run_nyu_sync(nyu_bts, out, default_focal=500.5)
    first = (out / 'nyudepthv2_train_files_with_gt.txt').read_text() \
        .splitlines()[0]
    assert first == ('/kitchen_0028b/rgb_00045.jpg '
                     '/kitchen_0028b/sync_depth_00045.png 500.5')
    with pytest.raises(ValueError, match=r'line 1 of .*train.*<focal>'):
        _run_nyu_sync(nyu_bts, out, default_focal=None)


def test_nyu_sync_missing_files_are_all_named(nyu_bts, tmp_path):
    gone = [
        os.path.join(nyu_bts['sync_root'], 'living_room_0019',
                     'sync_depth_00111.png'),
        os.path.join(nyu_bts['test_root'], 'bedroom', 'rgb_00507.jpg'),
    ]
    for path in gone:
        os.remove(path)
    out = tmp_path / 'o'
    with pytest.raises(FileNotFoundError) as err:
        _run_nyu_sync(nyu_bts, out)
    msg = str(err.value)
    assert msg.startswith('2 NYUv2 listed files not found')
    assert f'{gone[0]} (line 2 of {nyu_bts["lists"]["train"]})' in msg
    assert f'{gone[1]} (line 2 of {nyu_bts["lists"]["test"]})' in msg
    assert not out.exists()  # checked before anything is written


def test_nyu_sync_tool_reports_and_fails_clearly(nyu_bts, tmp_path, capsys):
    tool = load_tool('prepare_nyu_sync')
    args = [str(nyu_bts['root']), '--train-list', nyu_bts['lists']['train'],
            '--test-list', nyu_bts['lists']['test'], '--no-progress']
    tool.main(args + ['-o', str(tmp_path / 'o'), '--link'])
    printed = capsys.readouterr().out
    assert 'train: 3 frames from 2 scene folders' in printed
    assert 'test: 2 frames from 2 scene folders' in printed
    assert 'set num_train_images = 3' in printed  # not the 24231 of BTS
    with open(nyu_bts['lists']['test'], 'a') as f:
        f.write('\nbathroom/rgb_00046.jpg bathroom/sync_depth_00046.png x\n')
    with pytest.raises(SystemExit,
                       match=r"line 3 of .*test.*focal length 'x'"):
        tool.main(args)
    with pytest.raises(SystemExit, match='no_such_root'):
        tool.main([str(tmp_path / 'no_such_root')] + args[1:])

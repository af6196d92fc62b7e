"""VideoSnippetDataset on a hand-written SC-Depth layout and on generated
SynthScenes trajectories: snippets against a brute-force listing, the
maps, the poses, and every bad input naming its file."""
import os
import re

import cv2
import numpy as np
import pytest
from mmengine.runner import set_random_seed
from mmpretrain.registry import DATASETS

import sgmim  # noqa: F401  (registers the dataset and transforms)
from sgmim.datasets.samplers import SampleIndex, seeds_per_sample
from sgmim.datasets.synthscenes import generate
from sgmim.datasets.transforms import StructureMapError
from sgmim.datasets.video_layout import snippet_indices

H, W = 6, 8
CAM = '10 0 3.5\n0 11 2.5\n0 0 1\n'
SCENES = {'a': 5, 'b': 2, 'c': 7}  # frames per scene; 'b' is too short


def frame(value, hw=(H, W)):
    return np.full((*hw, 3), value, np.uint8)


def write_layout(root, scenes=SCENES, names=None):
    """SC-Depth layout: training/<scene>/%07d.jpg + cam.txt, train.txt."""
    training = root / 'training'
    for scene, count in scenes.items():
        folder = training / scene
        folder.mkdir(parents=True)
        for i in range(count):
            name = names(i) if names else f'{i:07d}.jpg'
            cv2.imwrite(str(folder / name), frame(20 * i))
        (folder / 'cam.txt').write_text(CAM)
    (training / 'train.txt').write_text(''.join(f'{s}\n' for s in scenes))
    (training / 'val.txt').write_text('a\n')
    return root


@pytest.fixture
def layout(tmp_path):
    return write_layout(tmp_path / 'sc')


def build(root, **kwargs):
    # mmengine's serialisation runs gc.collect() (~0.4 s in a process
    # holding torch); one test below keeps it on
    kwargs.setdefault('serialize_data', False)
    return DATASETS.build(dict(type='VideoSnippetDataset',
                               data_root=str(root), **kwargs))


def brute_force(root, split, length, skip):
    """Every (scene, frame names) whose target has all its neighbours."""
    training = root / 'training'
    half = (length - 1) // 2
    expected = []
    for scene in (training / split).read_text().split():
        names = sorted(n for n in os.listdir(training / scene)
                       if n.endswith('.jpg'))
        for t in range(len(names)):
            refs = [t + d * skip for d in range(-half, half + 1) if d]
            if all(0 <= r < len(names) for r in refs):
                expected.append((scene, [names[i] for i in [t] + refs]))
    return expected


@pytest.mark.parametrize('length,skip', [(3, 1), (3, 2), (5, 1), (1, 1)])
def test_snippets_match_a_brute_force_listing(layout, length, skip):
    dataset = build(layout, sequence_length=length, skip_frames=skip)
    found = [(info['scene'], [os.path.basename(p)
                              for p in info['frame_paths']])
             for info in (dataset.get_data_info(i)
                          for i in range(len(dataset)))]
    assert found == brute_force(layout, 'train.txt', length, skip)
    info = dataset.get_data_info(0)
    assert info['img_path'] == info['frame_paths'][0] == str(
        layout / 'training' / info['scene'] / os.path.basename(
            info['img_path']))
    np.testing.assert_array_equal(info['intrinsics'],
                                  np.loadtxt(layout / 'training/a/cam.txt'))


def test_snippet_indices_against_brute_force():
    for n in range(12):
        for length, skip in [(1, 1), (3, 1), (3, 3), (5, 2), (7, 1)]:
            half = (length - 1) // 2
            expected = []
            for t in range(n):
                refs = [t + d * skip for d in range(-half, half + 1) if d]
                if all(0 <= r < n for r in refs):
                    expected.append([t] + refs)
            assert snippet_indices(n, length, skip) == expected


def test_a_scene_of_exactly_the_clip_length_gives_one_snippet(tmp_path):
    """SC-Depth's ``num_frames > sequence_length`` would drop it."""
    root = write_layout(tmp_path / 'sc', {'x': 3})
    dataset = build(root)
    assert len(dataset) == 1
    assert dataset.get_data_info(0)['frame_ids'] == [1, 0, 2]


def test_only_short_scenes_is_an_error_naming_the_split(tmp_path):
    root = write_layout(tmp_path / 'sc', {'x': 2, 'y': 1})
    with pytest.raises(ValueError, match=r'no snippet.*training/train\.txt'):
        build(root)


def test_val_split_prefix_and_frame_order(tmp_path, layout):
    val = build(layout, ann_file='training/val.txt')
    assert {val.get_data_info(i)['scene'] for i in range(len(val))} == {'a'}
    elsewhere = build('', ann_file=str(layout / 'training' / 'train.txt'),
                      data_prefix=dict(img_path=str(layout / 'training')))
    assert len(elsewhere) == len(build(layout))
    # unpadded numbers are put in time order, not name order
    root = write_layout(tmp_path / 'plain', {'x': 12},
                        names=lambda i: f'{i}.jpg')
    frames = [os.path.basename(p) for p in build(
        root, sequence_length=1).get_data_info(9)['frame_paths']]
    assert frames == ['9.jpg']
    assert [os.path.basename(p) for p in build(root).get_data_info(8)
            ['frame_paths']] == ['9.jpg', '8.jpg', '10.jpg']


def test_frame_index_keeps_the_listed_frames(layout):
    (layout / 'training/c/frame_index.txt').write_text('0\n2\n3\n6\n')
    (layout / 'training/a/frame_index.txt').write_text('0\n1\n')
    (layout / 'training/b/frame_index.txt').write_text('1\n')
    dataset = build(layout, use_frame_index=True)
    found = [[os.path.basename(p) for p in dataset.get_data_info(i)
              ['frame_paths']] for i in range(len(dataset))]
    assert found == [['0000002.jpg', '0000000.jpg', '0000003.jpg'],
                     ['0000003.jpg', '0000002.jpg', '0000006.jpg']]
    (layout / 'training/c/frame_index.txt').write_text('0\n9\n')
    with pytest.raises(ValueError, match='c/frame_index.txt line 2'):
        build(layout, use_frame_index=True)


def test_loaded_frames_are_the_listed_files_in_snippet_order(layout):
    dataset = build(layout, pipeline=[dict(type='LoadSnippetFromFiles'),
                                      dict(type='PackSnippetInputs')])
    packed = dataset[0]
    ids = dataset.get_data_info(0)['frame_ids']
    assert ids == [1, 0, 2]
    for tensor, i in zip(packed['inputs'], ids):
        assert tensor.shape == (3, H, W)
        assert abs(int(tensor.float().mean()) - 20 * i) <= 1  # jpg
    np.testing.assert_allclose(packed['data_samples'].intrinsics.numpy(),
                               np.loadtxt(layout / 'training/a/cam.txt'))
    assert packed['data_samples'].img_shape == (H, W)


# ----------------------------------------------------------- bad input


def test_a_gap_in_the_frames_names_the_missing_file(layout):
    os.remove(layout / 'training/c/0000003.jpg')
    missing = str(layout / 'training/c/0000003.jpg')
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        build(layout)
    across = build(layout, check_gaps=False)
    assert len(across) == 3 + 4


def test_a_missing_scene_folder_is_named_with_its_split_line(layout):
    with open(layout / 'training/train.txt', 'a') as f:
        f.write('\nlost\n')
    with pytest.raises(FileNotFoundError,
                       match=r'line 5 of .*train\.txt.*training/lost'):
        build(layout)


@pytest.mark.parametrize('text,message', [
    ('10 0 3.5\n0 11 2.5\n', r'3x3 intrinsics matrix \(9 numbers\), got 6'),
    ('10 0 3.5 0\n0 11 2.5 0\n0 0 1 0\n', 'got 12 numbers'),
    ('10 0 3.5\n0 eleven 2.5\n0 0 1\n', 'expected numbers'),
    ('0 0 3.5\n0 11 2.5\n0 0 1\n', 'fx > 0'),
    ('10 0 3.5\n0 11 2.5\n0 0 2\n', r'last row \[0, 0, 1\]'),
    ('10 0 nan\n0 11 2.5\n0 0 1\n', 'non-finite'),
])
def test_a_bad_cam_txt_is_named(layout, text, message):
    (layout / 'training/c/cam.txt').write_text(text)
    path = re.escape(str(layout / 'training/c/cam.txt'))
    with pytest.raises(ValueError, match=f'{path}: .*{message}'):
        build(layout)


def test_a_missing_cam_txt_is_named(layout):
    os.remove(layout / 'training/a/cam.txt')
    with pytest.raises(FileNotFoundError,
                       match=re.escape(str(layout / 'training/a/cam.txt'))):
        build(layout)


def test_a_frame_lost_or_resized_after_listing_is_named(layout):
    dataset = build(layout, pipeline=[dict(type='LoadSnippetFromFiles')])
    target, previous, _ = dataset.get_data_info(0)['frame_paths']
    cv2.imwrite(previous, frame(0, (H + 2, W)))
    with pytest.raises(ValueError, match=f'frame {re.escape(previous)} has '
                       f'size.*target frame {re.escape(target)}'):
        dataset[0]
    os.remove(previous)
    with pytest.raises(FileNotFoundError, match=re.escape(previous)):
        dataset[0]


def test_bad_arguments_are_named(layout):
    with pytest.raises(ValueError, match='sequence_length.*odd'):
        build(layout, sequence_length=2)
    with pytest.raises(ValueError, match='skip_frames'):
        build(layout, skip_frames=0)
    with pytest.raises(ValueError, match="pseudo_depth_dir: only '{scene}'"):
        build(layout, pseudo_depth_dir='maps/{split}')
    with pytest.raises(ValueError, match='pseudo_depth_suffix'):
        build(layout, pseudo_depth_dir='d', pseudo_depth_suffix='png')
    with pytest.raises(FileNotFoundError, match='split file .*nope.txt'):
        build(layout, ann_file='training/nope.txt')


# ------------------------------------------------------ pseudo-depth maps


def write_maps(folder, count, hw=(H, W), ext='.png'):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        depth = np.full(hw, 1000 + 100 * i, np.uint16)
        if ext == '.png':
            cv2.imwrite(str(folder / f'{i:07d}.png'), depth)
        else:
            np.save(folder / f'{i:07d}.npy', depth.astype(np.float32) / 1e3)


def test_pseudo_depth_in_scene_folders_and_in_a_parallel_tree(layout):
    for scene, count in SCENES.items():
        write_maps(layout / 'training' / scene / 'leres', count)
        write_maps(layout / 'pseudo' / scene, count, ext='.npy')
    pipeline = [dict(type='LoadSnippetFromFiles')]
    inside = build(layout, pseudo_depth_dir='leres', pipeline=pipeline)
    tree = build(layout, pseudo_depth_dir='pseudo/{scene}',
                 pseudo_depth_suffix='.npy', pipeline=pipeline)
    info = tree.get_data_info(1)
    assert info['pseudo_depth_paths'] == [
        str(layout / 'pseudo' / 'a' / f'{i:07d}.npy') for i in (2, 1, 3)]
    for dataset in (inside, tree):
        results = dataset[1]
        assert len(results['pseudo_depth']) == 1  # the target's
        np.testing.assert_allclose(results['pseudo_depth'][0],
                                   np.full((H, W), 1.2), rtol=1e-6)
    every = build(layout, pseudo_depth_dir='leres', pipeline=[
        dict(type='LoadSnippetFromFiles', map_frames='all')])
    assert [m[0, 0] for m in every[1]['pseudo_depth']] == pytest.approx(
        [1.2, 1.1, 1.3])


def test_a_missing_pseudo_depth_map_names_frame_and_map(layout):
    for scene, count in SCENES.items():
        write_maps(layout / 'training' / scene / 'leres', count)
    os.remove(layout / 'training/c/leres/0000004.png')
    frame_path = re.escape(str(layout / 'training/c/0000004.jpg'))
    map_path = re.escape(str(layout / 'training/c/leres/0000004.png'))
    with pytest.raises(FileNotFoundError,
                       match=f'frame {frame_path} -> expected pseudo_depth '
                       f'map {map_path}'):
        build(layout, pseudo_depth_dir='leres')


def test_a_pseudo_depth_map_of_another_size_names_both_files(layout):
    for scene, count in SCENES.items():
        write_maps(layout / 'training' / scene / 'leres', count)
    write_maps(layout / 'training/a/leres', 2, hw=(H, W + 1))
    dataset = build(layout, pseudo_depth_dir='leres',
                    pipeline=[dict(type='LoadSnippetFromFiles')])
    map_path = re.escape(str(layout / 'training/a/leres/0000001.png'))
    frame_path = re.escape(str(layout / 'training/a/0000001.jpg'))
    with pytest.raises(StructureMapError,
                       match=f'pseudo_depth map {map_path} \\(of frame '
                       f'{frame_path}\\).*size'):
        dataset[0]


# ------------------------------------------------- SynthScenes trajectories

TRAJ_W, TRAJ_H = 40, 30


@pytest.fixture(scope='module')
def trajectories(tmp_path_factory):
    root = tmp_path_factory.mktemp('synthscenes')
    generate(root, seed=0, subsets=('trajectories', ), num_trajectories=2,
             num_val_trajectories=1, trajectory_length=4,
             sizes={'trajectories': (TRAJ_W, TRAJ_H)}, show_progress=False)
    return root / 'trajectories'


def synth(root, pipeline=(), **kwargs):
    return build(root, pseudo_depth_dir='pseudo_depth', gt_depth_dir='depth',
                 with_pose=True, pipeline=list(pipeline), **kwargs)


def test_synthscenes_trajectories_are_read(trajectories):
    train = synth(trajectories)
    val = synth(trajectories, ann_file='training/val.txt')
    assert len(train) == len(val) == 4 - 2
    info = train.get_data_info(1)
    scene = trajectories / 'training' / info['scene']
    assert info['scene'] == 'scene_0000' and info['frame_ids'] == [2, 1, 3]
    np.testing.assert_allclose(info['intrinsics'],
                               np.loadtxt(scene / 'cam.txt'))
    c2w = np.tile(np.eye(4), (4, 1, 1))
    c2w[:, :3] = np.loadtxt(scene / 'poses.txt').reshape(-1, 3, 4)
    np.testing.assert_allclose(
        info['ref_poses'],
        [np.linalg.solve(c2w[r], c2w[2]) for r in (1, 3)], atol=1e-9)
    results = synth(trajectories, [dict(type='LoadSnippetFromFiles')])[1]
    stored = cv2.imread(str(scene / 'pseudo_depth/0000002.png'),
                        cv2.IMREAD_UNCHANGED)
    np.testing.assert_allclose(results['pseudo_depth'][0], stored / 1000.0,
                               rtol=1e-6)
    assert results['img'][0].shape == (TRAJ_H, TRAJ_W, 3)


def test_transformed_synthscenes_snippets_stay_geometrically_consistent(
        trajectories):
    """After flip + scale-crop + resize, the target's true depth, the new
    intrinsics and the (flipped) relative pose put every target pixel on
    the reference pixel whose true depth is the transformed point's z."""
    dataset = synth(trajectories, [
        dict(type='LoadSnippetFromFiles', map_frames='all'),
        dict(type='SnippetRandomFlip', prob=1.0),
        dict(type='SnippetRandomScaleCrop', scale_range=(1.15, 1.15)),
        dict(type='SnippetResize', size=(24, 36)),
        dict(type='PackSnippetInputs'),
    ])
    set_random_seed(0)  # the crop offset: the same draw in any test order
    sample = dataset[0]['data_samples']
    assert sample.flip and sample.gt_depth.shape == (3, 24, 36)
    K = sample.intrinsics.double().numpy()
    depth = sample.gt_depth.double().numpy()
    v, u = np.mgrid[0:24, 0:36]
    pixels = np.stack([u, v, np.ones_like(u)], -1).reshape(-1, 3)
    X = pixels @ np.linalg.inv(K).T * depth[0].reshape(-1, 1)
    for j, T in enumerate(sample.ref_poses.double().numpy(), start=1):
        for pose, ok in ((T, True), (np.linalg.inv(T), False)):
            Y = X @ pose[:3, :3].T + pose[:3, 3]
            uv = np.round(Y @ K.T / Y[:, 2:])[:, :2].astype(int)
            inside = ((uv >= 0) & (uv < [36, 24])).all(1)
            ref = depth[j][uv[inside, 1], uv[inside, 0]]
            error = np.median(np.abs(Y[inside, 2] - ref) / ref)
            assert inside.mean() > 0.8
            assert (error < 0.01) if ok else (error > 0.02)


def test_synthscenes_samples_reseed_per_sample(trajectories):
    dataset = synth(trajectories, [
        dict(type='LoadSnippetFromFiles'),
        dict(type='SnippetRandomScaleCrop'),
        dict(type='PackSnippetInputs'),
    ], serialize_data=True)
    assert seeds_per_sample(dataset)
    first = dataset[SampleIndex(1, seed=3, epoch=0)]['data_samples']
    again = dataset[SampleIndex(1, seed=3, epoch=0)]['data_samples']
    other = dataset[SampleIndex(1, seed=3, epoch=1)]['data_samples']
    assert (first.intrinsics == again.intrinsics).all()
    assert not (first.intrinsics == other.intrinsics).all()

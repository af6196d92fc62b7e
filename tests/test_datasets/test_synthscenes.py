"""Tests of SynthScenes against independent computations."""
import glob
import hashlib
import importlib
import json
import math
import os

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

try:
    from sgmim.datasets import synthscenes
except ImportError:
    import synthscenes

# Independent references, written out here rather than imported.
ADE_DECLARED = {'wall': 1, 'floor': 4, 'ceiling': 6, 'cabinet': 11,
                'box': 42, 'ball': 120, 'vase': 136}
COCO_MISSING_IDS = {12, 26, 29, 30, 45, 66, 68, 69, 71, 83}
COCO_OBJECT_IDS = {'refrigerator': 82, 'suitcase': 33, 'sports ball': 37,
                   'vase': 86}
MMSEG_NYU_CLASSES = (
    'printer_room', 'bathroom', 'living_room', 'study', 'conference_room',
    'study_room', 'kitchen', 'home_office', 'bedroom', 'dinette', 'playroom',
    'indoor_balcony', 'laundry_room', 'basement', 'excercise_room', 'foyer',
    'home_storage', 'cafe', 'furniture_store', 'office_kitchen',
    'student_lounge', 'dining_room', 'reception_room', 'computer_lab',
    'classroom', 'office', 'bookstore')

SMALL = dict(num_pretrain=8, num_pretrain_val=4, num_train=8, num_val=4,
             num_trajectories=2, num_val_trajectories=1, trajectory_length=3,
             show_progress=False)


def read_unchanged(path):
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert image is not None, path
    return image


def tree_hashes(root):
    hashes = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, 'rb') as f:
                hashes[os.path.relpath(path, root)] = hashlib.sha256(
                    f.read()).hexdigest()
    return hashes


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synthscenes'))
    manifest = synthscenes.generate(root, seed=0, **SMALL)
    return root, manifest


# --------------------------------------------------------------- rendering


def straight_camera(width, height, hfov, position):
    return synthscenes.Camera.from_fov(width, height, hfov, position)


def test_fronto_parallel_wall_fills_view():
    d = 2.37
    room = synthscenes.Room(width=40.0, depth=2 * d, height=40.0)
    camera = straight_camera(64, 48, math.radians(60), (0.0, 20.0, 0.0))
    view = synthscenes.render_view(synthscenes.Scene(room), camera)
    # The whole image is the wall z = d in front of the camera.
    np.testing.assert_allclose(view['depth'], d, atol=1e-5)
    # Normal convention: camera frame (x right, y down, z forward); visible
    # surfaces face the camera, so the wall's normal is (0, 0, -1).
    np.testing.assert_allclose(view['normal'],
                               np.broadcast_to([0, 0, -1], (48, 64, 3)),
                               atol=1e-6)
    assert set(np.unique(view['semantic'])) == {ADE_DECLARED['wall']}
    assert not view['instance'].any()


def test_room_wall_and_floor_depth_match_plane_equations():
    d, camera_height = 3.0, 1.4
    room = synthscenes.Room(width=12.0, depth=2 * d, height=3.0)
    width, height = 80, 61
    camera = straight_camera(width, height, math.radians(65),
                             (0.0, camera_height, 0.0))
    view = synthscenes.render_view(synthscenes.Scene(room), camera)
    f = (width / 2) / math.tan(math.radians(65) / 2)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    np.testing.assert_allclose(view['K'], [[f, 0, cx], [0, f, cy], [0, 0, 1]])
    front = np.abs(view['normal'][..., 2] + 1) < 1e-6
    assert front.sum() > 0.3 * width * height
    np.testing.assert_allclose(view['depth'][front], d, atol=1e-5)
    assert (view['semantic'][front] == ADE_DECLARED['wall']).all()
    # Floor y = 0 seen from height h with zero pitch: z = h f / (v - c_y).
    floor = view['semantic'] == ADE_DECLARED['floor']
    assert floor.any()
    for v, u in zip(*np.nonzero(floor)):
        expected = camera_height * f / (v - cy)
        assert abs(view['depth'][v, u] - expected) < 1e-4 * expected
    # The floor normal is world +y, i.e. camera -y.
    np.testing.assert_allclose(view['normal'][floor],
                               np.broadcast_to([0, -1, 0], (floor.sum(), 3)),
                               atol=1e-6)


def sphere_ray_depth(u, v, K, center, radius):
    """z-depth of the near ray/sphere intersection, or None (plain Python)."""
    x = (u - K[0][2]) / K[0][0]
    y = (v - K[1][2]) / K[1][1]
    norm = math.sqrt(x * x + y * y + 1.0)
    dx, dy, dz = x / norm, y / norm, 1.0 / norm
    b = dx * center[0] + dy * center[1] + dz * center[2]
    c = sum(ci * ci for ci in center) - radius * radius
    disc = b * b - c
    if disc < 0:
        return None, disc
    t = b - math.sqrt(disc)
    return t * dz, disc


def test_sphere_depth_profile_and_silhouette():
    radius, distance, camera_height = 0.5, 3.0, 1.5
    sphere = synthscenes.Sphere((0.0, camera_height, distance), radius)
    room = synthscenes.Room(width=20.0, depth=20.0, height=3.0)
    width, height = 64, 49
    camera = straight_camera(width, height, math.radians(60),
                             (0.0, camera_height, 0.0))
    view = synthscenes.render_view(synthscenes.Scene(room, [sphere]), camera)
    K = view['K'].tolist()
    center_cam = (0.0, 0.0, distance)  # camera frame: x right, y down
    row = (height - 1) // 2
    hits = 0
    for u in range(width):
        z, disc = sphere_ray_depth(u, row, K, center_cam, radius)
        if z is not None and disc > 1e-6:
            hits += 1
            assert view['instance'][row, u] == 1
            assert abs(view['depth'][row, u] - z) < 1e-5
    assert hits > 5
    for v in range(height):
        for u in range(width):
            _, disc = sphere_ray_depth(u, v, K, center_cam, radius)
            if disc < -1e-6:
                assert view['instance'][v, u] == 0
                assert view['semantic'][v, u] != ADE_DECLARED['ball']
            elif disc > 1e-6:
                assert view['semantic'][v, u] == ADE_DECLARED['ball']
    np.testing.assert_allclose(view['normal'][row, (width - 1) // 2],
                               [0, 0, -1], atol=0.05)


def test_box_and_cylinder_depth():
    room = synthscenes.Room(width=20.0, depth=20.0, height=3.0)
    width, height = 65, 49
    camera = straight_camera(width, height, math.radians(60),
                             (0.0, 1.5, 0.0))
    row, col = (height - 1) // 2, (width - 1) // 2
    half = 0.4
    # A box turned by 45 degrees shows its vertical edge at z = D - h sqrt(2).
    box = synthscenes.Box((0.0, 1.5, 3.0), (half, half, half),
                          yaw=math.pi / 4)
    view = synthscenes.render_view(synthscenes.Scene(room, [box]), camera)
    assert abs(view['depth'][row, col] - (3.0 - half * math.sqrt(2))) < 1e-5
    assert view['semantic'][row, col] == ADE_DECLARED['box']
    # Vertical cylinder x^2 + (z - D)^2 = r^2 on the central (horizontal) row:
    # ray (a t, 0, t) gives (a^2 + 1) t^2 - 2 D t + D^2 - r^2 = 0.
    radius, distance = 0.6, 4.0
    cylinder = synthscenes.Cylinder((0.0, 0.0, distance), radius, 2.5)
    view = synthscenes.render_view(synthscenes.Scene(room, [cylinder]),
                                   camera)
    f, cx = view['K'][0, 0], view['K'][0, 2]
    for u in range(width):
        a = (u - cx) / f
        disc = distance**2 - (a * a + 1) * (distance**2 - radius**2)
        if disc > 1e-6:
            z = (distance - math.sqrt(disc)) / (a * a + 1)
            assert abs(view['depth'][row, u] - z) < 1e-5
            assert view['semantic'][row, u] == ADE_DECLARED['vase']
        elif disc < -1e-6:
            assert view['instance'][row, u] == 0


def test_render_view_output_types():
    rng = np.random.default_rng(3)
    scene = synthscenes.sample_scene(rng, 'office', 3, 7)
    camera = synthscenes.sample_camera(rng, scene, 40, 30)
    view = synthscenes.render_view(scene, camera)
    assert view['rgb'].dtype == np.uint8 and view['rgb'].shape == (30, 40, 3)
    assert view['depth'].dtype == np.float32
    assert view['semantic'].dtype == np.uint8
    assert view['instance'].dtype == np.int32
    assert view['instance'].max() <= len(scene.objects)
    assert view['normal'].dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(view['normal'], axis=-1), 1,
                               atol=1e-5)
    # Visible normals face the camera: n . ray direction < 0.
    v, u = np.mgrid[0:30, 0:40]
    rays = np.stack([(u - view['K'][0, 2]) / view['K'][0, 0],
                     (v - view['K'][1, 2]) / view['K'][1, 1],
                     np.ones((30, 40))], -1)
    assert (np.sum(rays * view['normal'], -1) < 1e-6).all()
    rotation = view['pose'][:3, :3]
    np.testing.assert_allclose(rotation.T @ rotation, np.eye(3), atol=1e-12)
    assert np.linalg.det(rotation) == pytest.approx(1.0)
    assert scene.room.contains(view['pose'][:3, 3])
    assert set(np.unique(view['semantic'])) <= set(ADE_DECLARED.values())


def test_pseudo_depth_is_deterministic_degraded_copy():
    depth = np.random.default_rng(0).uniform(1, 5, (60, 80)).astype(
        np.float32)
    depth = cv2.GaussianBlur(depth, (0, 0), 8)
    a = synthscenes.pseudo_depth(depth, np.random.default_rng(7))
    b = synthscenes.pseudo_depth(depth, np.random.default_rng(7))
    c = synthscenes.pseudo_depth(depth, np.random.default_rng(8))
    assert a.dtype == np.float32 and a.shape == depth.shape
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    relative = np.abs(a - depth) / depth
    assert 0 < np.median(relative) < 0.3


def test_polygons_rasterise_back_to_masks_with_holes_and_pieces():
    from pycocotools import mask as mask_utils
    mask = np.zeros((30, 40), np.uint8)
    mask[3:25, 4:30] = 1
    mask[8:15, 10:20] = 0  # a hole (an occluder in front)
    mask[27:29, 33:39] = 1  # a separate piece
    mask[0, 39] = 1  # a single pixel
    polygons = synthscenes.mask_to_polygons(mask)
    assert len(polygons) >= 3 and all(len(p) >= 6 for p in polygons)
    rle = mask_utils.merge(mask_utils.frPyObjects(polygons, 30, 40))
    np.testing.assert_array_equal(mask_utils.decode(rle), mask)


# ----------------------------------------------------------------- layouts


def test_manifest(dataset):
    root, manifest = dataset
    with open(os.path.join(root, 'synthscenes.json')) as f:
        on_disk = json.load(f)
    assert on_disk == json.loads(json.dumps(manifest))
    assert manifest['seed'] == 0
    assert manifest['classes']['ade20k'] == ADE_DECLARED
    assert manifest['counts']['coco'] == {'train2017': 8, 'val2017': 4}
    assert manifest['num_views'] == 12 + 4 * 12 + 6


def test_no_temporary_files_left(dataset):
    root, _ = dataset
    assert not [p for p in tree_hashes(root) if p.endswith('.tmp')]


def test_imagenet_layout(dataset):
    root, manifest = dataset
    categories = manifest['classes']['scene_categories']
    for split, count in (('train', 8), ('val', 4)):
        with open(os.path.join(root, 'imagenet', 'meta', f'{split}.txt')) as f:
            lines = f.read().splitlines()
        assert len(lines) == count
        for line in lines:
            relative, label = line.split(' ')
            category = relative.split('/')[0]
            assert categories[int(label)] == category
            rgb = read_unchanged(os.path.join(root, 'imagenet', split,
                                              relative))
            stem = relative[:-len('.JPEG')]
            for kind in ('depth', 'pseudo_depth'):
                depth = read_unchanged(
                    os.path.join(root, 'imagenet', kind, split, stem + '.png'))
                assert depth.dtype == np.uint16
                assert depth.shape == rgb.shape[:2]
                assert 200 < np.median(depth) < 15000  # millimetres indoors
            assert 96 <= rgb.shape[0] <= 128 and 96 <= rgb.shape[1] <= 128


def test_ade_labels_are_declared(dataset):
    root, _ = dataset
    base = os.path.join(root, 'ade', 'ADEChallengeData2016')
    values = set()
    for split, prefix, count in (('training', 'ADE_train', 8),
                                 ('validation', 'ADE_val', 4)):
        images = sorted(glob.glob(os.path.join(base, 'images', split, '*')))
        labels = sorted(
            glob.glob(os.path.join(base, 'annotations', split, '*')))
        assert [os.path.basename(p) for p in images] == [
            f'{prefix}_{i:08d}.jpg' for i in range(1, count + 1)]
        assert [p[:-4] for p in map(os.path.basename, labels)] == [
            p[:-4] for p in map(os.path.basename, images)]
        for path in labels:
            label = read_unchanged(path)
            assert label.dtype == np.uint8 and label.ndim == 2
            values |= set(np.unique(label).tolist())
    assert values <= set(ADE_DECLARED.values()) | {0}
    assert {1, 4} <= values  # walls and floors are everywhere


def test_coco_annotations(dataset):
    root, manifest = dataset
    for split in ('train2017', 'val2017'):
        coco = COCO(
            os.path.join(root, 'coco', 'annotations',
                         f'instances_{split}.json'))
        assert set(coco.dataset) >= {'info', 'licenses', 'images',
                                     'annotations', 'categories'}
        ids = {c['id'] for c in coco.dataset['categories']}
        assert len(coco.dataset['categories']) == 80
        assert ids == set(range(1, 91)) - COCO_MISSING_IDS
        for name, cid in COCO_OBJECT_IDS.items():
            assert coco.loadCats(cid)[0]['name'] == name
        assert len(coco.getAnnIds()) > 0
        for index, image_id in enumerate(sorted(coco.getImgIds())):
            info = coco.loadImgs(image_id)[0]
            image = read_unchanged(
                os.path.join(root, 'coco', split, info['file_name']))
            assert image.shape[:2] == (info['height'], info['width'])
            scene, view = synthscenes.render_dataset_view(
                manifest, 'coco', split, index)
            assert np.abs(image[..., ::-1].astype(int) -
                          view['rgb']).mean() < 4  # the JPEG is this view
            check_image_annotations(coco, info, scene, view['instance'])


def check_image_annotations(coco, info, scene, instance):
    matched = set()
    for ann in coco.loadAnns(coco.getAnnIds(imgIds=info['id'])):
        x, y, w, h = ann['bbox']
        assert 0 <= x and 0 <= y and w > 0 and h > 0
        assert x + w <= info['width'] and y + h <= info['height']
        assert ann['iscrowd'] == 0 and ann['area'] >= 16
        assert all(len(p) >= 6 for p in ann['segmentation'])
        polygon_mask = coco.annToMask(ann).astype(bool)
        best_iou, best_k = 0.0, None
        for k in range(1, len(scene.objects) + 1):
            mask = instance == k
            union = max((mask | polygon_mask).sum(), 1)
            iou = (mask & polygon_mask).sum() / union
            if iou > best_iou:
                best_iou, best_k = iou, k
        assert best_iou > 0.8
        assert best_k not in matched
        matched.add(best_k)
        mask = instance == best_k
        assert ann['area'] == mask.sum()
        rows, cols = np.nonzero(mask)
        assert ann['bbox'] == [cols.min(), rows.min(),
                               cols.max() - cols.min() + 1,
                               rows.max() - rows.min() + 1]
        kind = scene.objects[best_k - 1].kind
        expected = {'cabinet': 82, 'box': 33, 'ball': 37, 'vase': 86}[kind]
        assert ann['category_id'] == expected
    # Every sufficiently visible object is annotated.
    visible = {k for k in range(1, len(scene.objects) + 1)
               if (instance == k).sum() >= 16}
    assert matched == visible


def test_nyu_layout(dataset):
    root, manifest = dataset
    for split, count in (('train', 8), ('test', 4)):
        images = sorted(os.listdir(os.path.join(root, 'nyu', 'images', split)))
        depths = sorted(
            os.listdir(os.path.join(root, 'nyu', 'annotations', split)))
        assert len(images) == count
        assert [p[:-4] for p in images] == [p[:-4] for p in depths]
        for name in images:
            # mmseg takes the category from the prefix before the first digit.
            digit = next(i for i, ch in enumerate(name) if ch.isdigit())
            assert name[:digit - 1] in MMSEG_NYU_CLASSES
            index = int(name[digit:-4])
            depth = read_unchanged(
                os.path.join(root, 'nyu', 'annotations', split,
                             name[:-4] + '.png'))
            rgb = read_unchanged(os.path.join(root, 'nyu', 'images', split,
                                              name))
            assert depth.dtype == np.uint16 and depth.shape == (120, 160)
            assert rgb.shape == (120, 160, 3)
            _, view = synthscenes.render_dataset_view(manifest, 'nyu', split,
                                                      index)
            np.testing.assert_allclose(depth / 1000.0, view['depth'],
                                       atol=0.00051)


def test_nyu_bts_lists_and_sync_layout(dataset):
    """The same views as BTS's release: sync/<scene>/ (train) and
    official_splits/test/<category>/ (test), listed with their focal."""
    root, manifest = dataset
    nyu = os.path.join(root, 'nyu')
    for split, count, base, lead in (
            ('train', 8, 'sync', '/'),
            ('test', 4, os.path.join('official_splits', 'test'), '')):
        with open(os.path.join(nyu, f'nyudepthv2_{split}_files_with_gt.txt')
                  ) as f:
            lines = [line.split() for line in f.read().splitlines()]
        assert len(lines) == count
        # <style>_%06d.jpg in the NYUDataset layout
        styles = {int(name[-10:-4]): name[:-11] for name in os.listdir(
            os.path.join(nyu, 'images', split))}
        for index, (rgb, depth, focal) in enumerate(lines):
            style = styles[index]
            folder = f'{style}_{index:04d}' if split == 'train' else style
            assert rgb == f'{lead}{folder}/rgb_{index:05d}.jpg'
            assert depth == f'{lead}{folder}/sync_depth_{index:05d}.png'
            _, view = synthscenes.render_dataset_view(manifest, 'nyu', split,
                                                      index)
            assert float(focal) == pytest.approx(view['K'][0, 0], abs=1e-4)
            stem = f'{style}_{index:06d}'
            for ours, theirs in ((rgb, f'images/{split}/{stem}.jpg'),
                                 (depth, f'annotations/{split}/{stem}.png')):
                with open(os.path.join(nyu, base, ours.lstrip('/')),
                          'rb') as a, open(os.path.join(nyu, theirs),
                                           'rb') as b:
                    assert a.read() == b.read()


def test_kitti_layout(dataset):
    root, manifest = dataset
    with open(os.path.join(root, 'kitti', 'raw', '2011_09_26',
                           'calib_cam_to_cam.txt')) as f:
        calib = dict(line.split(':', 1) for line in f.read().splitlines())
    projection = np.array(calib['P_rect_02'].split(), float).reshape(3, 4)
    for split, count in (('train', 8), ('test', 4)):
        with open(os.path.join(root, 'kitti',
                               f'eigen_{split}_files_with_gt.txt')) as f:
            lines = f.read().splitlines()
        assert len(lines) == count
        for index, line in enumerate(lines):
            rgb_path, depth_path, focal = line.split(' ')
            assert float(focal) == pytest.approx(projection[0, 0], abs=1e-4)
            rgb = read_unchanged(os.path.join(root, 'kitti', 'raw', rgb_path))
            depth = read_unchanged(
                os.path.join(root, 'kitti', 'depth', depth_path))
            assert rgb.shape == (78, 256, 3)
            assert depth.dtype == np.uint16 and depth.shape == (78, 256)
            valid = depth > 0
            assert 0.05 < valid.mean() < 0.6  # sparse like LiDAR
            assert not valid[:78 // 3].any()  # nothing in the upper third
            assert depth.max() < 80 * 256
            _, view = synthscenes.render_dataset_view(manifest, 'kitti',
                                                      split, index)
            np.testing.assert_allclose(depth[valid] / 256.0,
                                       view['depth'][valid], atol=1 / 512)


def test_trajectory_layout_is_geometrically_consistent(dataset):
    root, _ = dataset
    base = os.path.join(root, 'trajectories', 'training')
    with open(os.path.join(base, 'train.txt')) as f:
        train = f.read().split()
    with open(os.path.join(base, 'val.txt')) as f:
        val = f.read().split()
    assert len(train) == 1 and len(val) == 1
    for scene in train + val:
        folder = os.path.join(base, scene)
        K = np.loadtxt(os.path.join(folder, 'cam.txt'))
        poses = np.loadtxt(os.path.join(folder, 'poses.txt')).reshape(-1, 3, 4)
        frames = sorted(glob.glob(os.path.join(folder, '*.jpg')))
        assert K.shape == (3, 3) and len(poses) == len(frames) == 3
        depths = []
        for frame in frames:
            stem = os.path.basename(frame)[:-4]
            depth = read_unchanged(
                os.path.join(folder, 'depth', stem + '.png'))
            pseudo = read_unchanged(
                os.path.join(folder, 'pseudo_depth', stem + '.png'))
            assert depth.dtype == pseudo.dtype == np.uint16
            depths.append(depth / 1000.0)
        steps = np.linalg.norm(np.diff(poses[:, :, 3], axis=0), axis=1)
        assert (steps < 0.3).all()
        check_reprojection(K, poses[0], poses[1], depths[0], depths[1])


def check_reprojection(K, pose0, pose1, depth0, depth1):
    """Warp frame 0's depth into frame 1 with K and the poses."""
    h, w = depth0.shape
    v, u = np.mgrid[0:h, 0:w]
    pixels = np.stack([u, v, np.ones_like(u)], -1).reshape(-1, 3).T
    points0 = np.linalg.inv(K) @ pixels * depth0.reshape(1, -1)
    world = pose0[:, :3] @ points0 + pose0[:, 3:]
    points1 = pose1[:, :3].T @ (world - pose1[:, 3:])
    projected = K @ points1
    u1 = np.round(projected[0] / projected[2]).astype(int)
    v1 = np.round(projected[1] / projected[2]).astype(int)
    inside = (u1 >= 0) & (u1 < w) & (v1 >= 0) & (v1 < h) & (points1[2] > 0)
    assert inside.mean() > 0.5
    sampled = depth1[v1[inside], u1[inside]]
    relative = np.abs(sampled - points1[2][inside]) / sampled
    assert np.median(relative) < 0.01


# ------------------------------------------------------------- determinism


def test_same_seed_is_byte_identical_across_worker_counts(dataset,
                                                          tmp_path):
    root, _ = dataset
    synthscenes.generate(tmp_path, seed=0, workers=2, **SMALL)
    assert tree_hashes(str(tmp_path)) == tree_hashes(root)


def test_different_seed_differs(dataset, tmp_path):
    root, _ = dataset
    synthscenes.generate(tmp_path, seed=1, subsets='coco,nyu', **SMALL)
    other = tree_hashes(str(tmp_path))
    reference = tree_hashes(root)
    images = [p for p in other if p.endswith('.jpg')]
    assert len(images) == 36  # coco 12, nyu 12 in each of its two layouts
    assert all(other[p] != reference.get(p) for p in images)


def test_cli_writes_selected_subsets(tmp_path):
    cli = importlib.import_module(synthscenes.__name__ + '.__main__')
    assert cli.main(['--out', str(tmp_path), '--seed', '3', '--subsets',
                     'ade,kitti', '--num-train', '2', '--num-val', '1',
                     '--size', 'kitti', '64', '20', '--quiet']) == 0
    with open(tmp_path / 'synthscenes.json') as f:
        manifest = json.load(f)
    assert manifest['options']['subsets'] == ['ade', 'kitti']
    assert sorted(os.listdir(tmp_path)) == ['ade', 'kitti', 'synthscenes.json']
    depth = read_unchanged(
        glob.glob(str(tmp_path / 'kitti' / 'depth' / '*' / '*' / '*' / '*' /
                      '*.png'))[0])
    assert depth.shape == (20, 64)


@pytest.mark.parametrize('options, name', [
    (dict(num_train=-1), 'num_train'),
    (dict(num_pretrain=2.5), 'num_pretrain'),
    (dict(img_size=(0, 10)), 'img_size'),
    (dict(sizes={'coco': (10, 0)}), 'sizes'),
    (dict(sizes={'cityscapes': (10, 10)}), 'sizes'),
    (dict(subsets='imagenet,foo'), 'subsets'),
    (dict(min_objects=5, max_objects=2), 'max_objects'),
    (dict(max_objects=21), 'max_objects'),
    (dict(workers=0), 'workers'),
    (dict(trajectory_length=0), 'trajectory_length'),
    (dict(num_trajectories=1, num_val_trajectories=2),
     'num_val_trajectories'),
    (dict(seed=-1), 'seed'),
])
def test_bad_options_raise_value_error_naming_the_option(
        tmp_path, options, name):
    with pytest.raises(ValueError, match=name):
        synthscenes.generate(tmp_path, **options)
    assert not os.listdir(tmp_path)


def test_cli_reports_bad_option(tmp_path, capsys):
    cli = importlib.import_module(synthscenes.__name__ + '.__main__')
    with pytest.raises(SystemExit) as error:
        cli.main(['--out', str(tmp_path), '--num-val', '-2'])
    assert error.value.code == 2
    assert 'num_val' in capsys.readouterr().err

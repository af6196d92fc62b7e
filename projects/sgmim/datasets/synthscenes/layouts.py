"""On-disk layouts of real datasets, one writer per subset.

Each layout lists its :class:`ViewJob` s, renders and writes one job at a
time (:meth:`run`, called in any process and order; it returns a
JSON-friendly record) and writes the index files from all records in job
order (:meth:`finalize`).  Every view draws its randomness from
:func:`view_rng`, keyed by ``(seed, subset, split, ...)``, so files do not
depend on job order or worker count.
"""
import os
import zlib
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .classes import coco_categories_json, coco_category_id
from .depthmaps import (lidar_mask, pseudo_depth, to_kitti_uint16,
                        to_uint16_mm)
from .files import (write_jpeg, write_json, write_lines, write_png,
                    write_rgb_png, write_text)
from .polygons import mask_bbox, mask_to_polygons
from .render import render_view
from .scene import intrinsics_from_fov
from .sampling import (STYLE_NAMES, sample_camera, sample_scene,
                       sample_trajectory)

KITTI_DATE = '2011_09_26'
KITTI_HFOV_DEG = 80.0
KITTI_DRIVE_LENGTH = 4
COCO_FIRST_IMAGE_ID = {'train2017': 1, 'val2017': 1_000_001}

# Roles keep the random streams of one job apart.
_ROLE_VIEW, _ROLE_SCENE, _ROLE_FRAME = 0, 1, 2


def view_rng(seed, subset, split, role, *numbers):
    """Generator seeded by ``(seed, crc32(subset), crc32(split), role,
    *numbers)``."""
    key = [seed, zlib.crc32(subset.encode()), zlib.crc32(split.encode()), role,
           *numbers]
    return np.random.default_rng(np.random.SeedSequence(key))


@dataclass(frozen=True)
class ViewJob:
    """One rendered view: ``index`` runs over the views of ``split``."""

    subset: str
    split: str
    index: int


class Rendered(NamedTuple):
    """A job's scene category, scene, :func:`render_view` dict and the
    generator for any further per-view randomness."""

    style: str
    scene: object
    view: dict
    rng: np.random.Generator


class _Layout:
    """Common job listing: ``splits`` maps split name -> count option."""

    name = None
    splits = {}

    def count(self, options, split):
        return getattr(options, self.splits[split])

    def jobs(self, options):
        return [ViewJob(self.name, split, i) for split in self.splits
                for i in range(self.count(options, split))]

    def root(self, out_dir):
        return os.path.join(out_dir, self.name)

    def counts(self, options):
        return {split: self.count(options, split) for split in self.splits}


class _SingleViewLayout(_Layout):
    """Every view is its own random scene and camera."""

    def style(self, job, rng):
        return str(rng.choice(STYLE_NAMES))

    def size(self, rng, options):
        return options.size_of(self.name)

    def render(self, job, seed, options):
        rng = view_rng(seed, job.subset, job.split, _ROLE_VIEW, job.index)
        style = self.style(job, rng)
        scene = sample_scene(rng, style, options.min_objects,
                             options.max_objects)
        camera = sample_camera(rng, scene, *self.size(rng, options))
        view = render_view(scene, camera, options.texture_space)
        return Rendered(style, scene, view, rng)


class ImageNetLayout(_SingleViewLayout):
    """mmpretrain ImageNet/CustomDataset folders plus depth side-cars.

    ``imagenet/{train,val}/<style>/<style>_%08d.JPEG``,
    ``imagenet/meta/{train,val}.txt`` (``<style>/<name>.JPEG <label>``) and
    ``imagenet/{depth,pseudo_depth}/{train,val}/<style>/<name>.png``
    (uint16 millimetres).  Labels index :data:`STYLE_NAMES`.
    """

    name = 'imagenet'
    splits = {'train': 'num_pretrain', 'val': 'num_pretrain_val'}

    def style(self, job, rng):
        """Categories cycle so the classes are balanced."""
        return STYLE_NAMES[job.index % len(STYLE_NAMES)]

    def size(self, rng, options):
        fixed = options.size_of(self.name)
        if fixed is not None:
            return fixed
        lo, hi = options.pretrain_size_range
        return tuple(int(v) for v in rng.integers(lo, hi + 1, size=2))

    def run(self, job, seed, options, out_dir):
        style, _, view, rng = self.render(job, seed, options)
        label = STYLE_NAMES.index(style)
        relative = f'{style}/{style}_{job.index:08d}'
        root = self.root(out_dir)
        write_jpeg(os.path.join(root, job.split, relative + '.JPEG'),
                   view['rgb'])
        write_png(os.path.join(root, 'depth', job.split, relative + '.png'),
                  to_uint16_mm(view['depth']))
        write_png(
            os.path.join(root, 'pseudo_depth', job.split, relative + '.png'),
            to_uint16_mm(pseudo_depth(view['depth'], rng)))
        return {'line': f'{relative}.JPEG {label}'}

    def finalize(self, jobs_and_records, options, out_dir):
        for split in self.splits:
            write_lines(
                os.path.join(self.root(out_dir), 'meta', f'{split}.txt'),
                [r['line'] for j, r in jobs_and_records if j.split == split])


class ADELayout(_SingleViewLayout):
    """``ade/ADEChallengeData2016/{images,annotations}/{training,validation}``
    with ``ADE_{train,val}_%08d.{jpg,png}`` (uint8 ADE20K labels)."""

    name = 'ade'
    splits = {'training': 'num_train', 'validation': 'num_val'}
    _prefix = {'training': 'ADE_train', 'validation': 'ADE_val'}

    def run(self, job, seed, options, out_dir):
        view = self.render(job, seed, options).view
        stem = f'{self._prefix[job.split]}_{job.index + 1:08d}'
        root = os.path.join(self.root(out_dir), 'ADEChallengeData2016')
        write_jpeg(os.path.join(root, 'images', job.split, stem + '.jpg'),
                   view['rgb'])
        write_png(os.path.join(root, 'annotations', job.split, stem + '.png'),
                  view['semantic'])
        return {}

    def finalize(self, jobs_and_records, options, out_dir):
        """Nothing to index: mmseg lists the image folder."""


def coco_annotations(scene, instance, min_visible_area):
    """COCO annotations (without ids) of the visible objects of a view.

    ``bbox`` and ``area`` come from the visible mask; objects with fewer
    than ``min_visible_area`` visible pixels are skipped.
    """
    annotations = []
    for k, obj in enumerate(scene.objects, start=1):
        mask = instance == k
        area = int(mask.sum())
        if area < min_visible_area:
            continue
        annotations.append({
            'category_id': coco_category_id(obj.kind),
            'segmentation': mask_to_polygons(mask),
            'area': float(area),
            'bbox': mask_bbox(mask),
            'iscrowd': 0,
        })
    return annotations


class COCOLayout(_SingleViewLayout):
    """``coco/{train2017,val2017}/%012d.jpg`` and
    ``coco/annotations/instances_{train2017,val2017}.json`` (polygons)."""

    name = 'coco'
    splits = {'train2017': 'num_train', 'val2017': 'num_val'}

    def run(self, job, seed, options, out_dir):
        _, scene, view, _ = self.render(job, seed, options)
        height, width = view['depth'].shape
        image_id = COCO_FIRST_IMAGE_ID[job.split] + job.index
        file_name = f'{image_id:012d}.jpg'
        write_jpeg(os.path.join(self.root(out_dir), job.split, file_name),
                   view['rgb'])
        image = {'id': image_id, 'file_name': file_name, 'width': width,
                 'height': height, 'license': 1}
        annotations = coco_annotations(scene, view['instance'],
                                       options.min_visible_area)
        for annotation in annotations:
            annotation['image_id'] = image_id
        return {'image': image, 'annotations': annotations}

    def finalize(self, jobs_and_records, options, out_dir):
        for split in self.splits:
            records = [r for j, r in jobs_and_records if j.split == split]
            annotations = [a for r in records for a in r['annotations']]
            for ann_id, annotation in enumerate(annotations, start=1):
                annotation['id'] = ann_id
            write_json(
                os.path.join(self.root(out_dir), 'annotations',
                             f'instances_{split}.json'),
                {
                    'info': {'description': 'SynthScenes procedural rooms',
                             'version': '1.0', 'year': 2024},
                    'licenses': [{'id': 1, 'name': 'CC0-1.0', 'url': ''}],
                    'images': [r['image'] for r in records],
                    'annotations': annotations,
                    'categories': coco_categories_json(),
                })


class NYULayout(_SingleViewLayout):
    """The same views in both NYUv2 layouts (depth uint16 mm, 0 invalid;
    the style names belong to mmseg's NYU scene-category list):

    * mmseg ``NYUDataset`` (the labeled-split layout):
      ``nyu/images/{train,test}/<style>_%06d.jpg`` and
      ``nyu/annotations/{train,test}/<style>_%06d.png``;
    * BTS "sync" release + file lists (the NYU configs' default):
      ``nyu/sync/<style>_%04d/{rgb,sync_depth}_%05d.{jpg,png}`` (train, a
      scene folder per view), ``nyu/official_splits/test/<style>/
      {rgb,sync_depth}_%05d.{jpg,png}`` (test) and
      ``nyu/nyudepthv2_{train,test}_files_with_gt.txt``, lines
      ``<rgb> <depth> <focal>`` with a leading ``/`` in the train list,
      as BTS's.
    """

    name = 'nyu'
    splits = {'train': 'num_train', 'test': 'num_val'}
    bts_dirs = {'train': 'sync', 'test': os.path.join('official_splits',
                                                       'test')}

    def run(self, job, seed, options, out_dir):
        style, _, view, _ = self.render(job, seed, options)
        stem = f'{style}_{job.index:06d}'
        root = self.root(out_dir)
        depth = to_uint16_mm(view['depth'])
        write_jpeg(os.path.join(root, 'images', job.split, stem + '.jpg'),
                   view['rgb'])
        write_png(os.path.join(root, 'annotations', job.split, stem + '.png'),
                  depth)
        if job.split == 'train':
            folder, lead = f'{style}_{job.index:04d}', '/'
        else:
            folder, lead = style, ''
        rgb = f'{folder}/rgb_{job.index:05d}.jpg'
        gt = f'{folder}/sync_depth_{job.index:05d}.png'
        bts_root = os.path.join(root, self.bts_dirs[job.split])
        write_jpeg(os.path.join(bts_root, rgb), view['rgb'])
        write_png(os.path.join(bts_root, gt), depth)
        return {'line': f'{lead}{rgb} {lead}{gt} {view["K"][0, 0]:.4f}'}

    def finalize(self, jobs_and_records, options, out_dir):
        """The BTS file lists (mmseg lists the NYUDataset image folders)."""
        for split in self.splits:
            write_lines(
                os.path.join(self.root(out_dir),
                             f'nyudepthv2_{split}_files_with_gt.txt'),
                [r['line'] for j, r in jobs_and_records if j.split == split])


class _SequenceLayout(_Layout):
    """Views grouped into sequences of one static scene and a smooth camera
    trajectory; ``index = sequence * length + frame``.  Subclasses define
    ``motion`` (keyword arguments of :func:`sample_trajectory`),
    ``sequence_length(options)`` and ``hfov_deg(rng)``."""

    def render(self, job, seed, options):
        """Frame ``job.index % length`` of sequence ``job.index // length``:
        the scene and trajectory come from the sequence's generator, the
        returned generator is the frame's own."""
        sequence, frame = divmod(job.index, self.sequence_length(options))
        scene_rng = view_rng(seed, job.subset, job.split, _ROLE_SCENE,
                             sequence)
        style = str(scene_rng.choice(STYLE_NAMES))
        scene = sample_scene(scene_rng, style, options.min_objects,
                             options.max_objects)
        hfov = np.radians(self.hfov_deg(scene_rng))
        trajectory = sample_trajectory(scene_rng, scene,
                                       self.sequence_length(options),
                                       **self.motion)
        camera = trajectory.camera(frame, *options.size_of(self.name), hfov)
        frame_rng = view_rng(seed, job.subset, job.split, _ROLE_FRAME,
                             sequence, frame)
        view = render_view(scene, camera, options.texture_space)
        return Rendered(style, scene, view, frame_rng)


class KITTILayout(_SequenceLayout):
    """BTS/Eigen KITTI depth layout; every drive is one trajectory.

    ``kitti/raw/<date>/<date>_drive_%04d_sync/image_02/data/%010d.png``,
    ``kitti/depth/<date>_drive_%04d_sync/proj_depth/groundtruth/image_02/
    %010d.png`` (uint16 ``metres * 256``, 0 invalid, LiDAR-sparse),
    ``kitti/eigen_{train,test}_files_with_gt.txt`` and
    ``kitti/raw/<date>/calib_cam_to_cam.txt``.
    """

    name = 'kitti'
    splits = {'train': 'num_train', 'test': 'num_val'}
    motion = {'speed_range': (0.1, 0.25), 'height_range': (1.2, 1.7)}

    def sequence_length(self, options):
        return KITTI_DRIVE_LENGTH

    def hfov_deg(self, rng):
        return KITTI_HFOV_DEG

    def first_drive(self, options, split):
        """Drives are numbered from 1, test drives after the train drives."""
        if split == 'train':
            return 1
        return 1 + -(-options.num_train // KITTI_DRIVE_LENGTH)

    def run(self, job, seed, options, out_dir):
        sequence, frame = divmod(job.index, KITTI_DRIVE_LENGTH)
        view, rng = self.render(job, seed, options)[2:]
        height, width = view['depth'].shape
        drive_number = self.first_drive(options, job.split) + sequence
        drive = f'{KITTI_DATE}_drive_{drive_number:04d}_sync'
        image = f'{KITTI_DATE}/{drive}/image_02/data/{frame:010d}.png'
        depth = f'{drive}/proj_depth/groundtruth/image_02/{frame:010d}.png'
        root = self.root(out_dir)
        write_rgb_png(os.path.join(root, 'raw', image), view['rgb'])
        valid = lidar_mask(height, width, rng)
        write_png(os.path.join(root, 'depth', depth),
                  to_kitti_uint16(view['depth'], valid))
        return {'line': f'{image} {depth} {view["K"][0, 0]:.4f}'}

    def finalize(self, jobs_and_records, options, out_dir):
        root = self.root(out_dir)
        for split in self.splits:
            write_lines(
                os.path.join(root, f'eigen_{split}_files_with_gt.txt'),
                [r['line'] for j, r in jobs_and_records if j.split == split])
        width, height = options.size_of(self.name)
        K = intrinsics_from_fov(width, height, np.radians(KITTI_HFOV_DEG))
        write_text(
            os.path.join(root, 'raw', KITTI_DATE, 'calib_cam_to_cam.txt'),
            kitti_calibration(K, width, height))


def _floats(values):
    return ' '.join(f'{v:.6e}' for v in np.ravel(values))


def kitti_calibration(K, width, height):
    """``calib_cam_to_cam.txt`` for camera 02 (the only camera):
    ``P_rect_02 = [K | 0]`` since poses are those of camera 02 itself."""
    projection = np.hstack([K, np.zeros((3, 1))])
    lines = [
        'calib_time: 01-Jan-2024 00:00:00',
        'corner_dist: 0.000000e+00',
        f'S_02: {_floats([width, height])}',
        f'K_02: {_floats(K)}',
        f'D_02: {_floats(np.zeros(5))}',
        f'R_02: {_floats(np.eye(3))}',
        f'T_02: {_floats(np.zeros(3))}',
        f'S_rect_02: {_floats([width, height])}',
        f'R_rect_02: {_floats(np.eye(3))}',
        f'P_rect_02: {_floats(projection)}',
    ]
    return ''.join(line + '\n' for line in lines)


class TrajectoryLayout(_SequenceLayout):
    """SC-Depth layout: ``trajectories/training/scene_%04d/`` with
    ``%07d.jpg`` frames, ``cam.txt`` (3x3 K), ``poses.txt`` (camera-to-world
    3x4 per line, row-major), ``depth/%07d.png`` and
    ``pseudo_depth/%07d.png`` (uint16 mm); ``training/{train,val}.txt``
    list scene folders (the last ``num_val_trajectories`` are val)."""

    name = 'trajectories'
    splits = {'training': None}  # the count is computed by :meth:`count`
    motion = {}

    def count(self, options, split):
        return options.num_trajectories * options.trajectory_length

    def counts(self, options):
        return {'train_scenes': options.num_trajectories -
                options.num_val_trajectories,
                'val_scenes': options.num_val_trajectories,
                'frames_per_scene': options.trajectory_length}

    def sequence_length(self, options):
        return options.trajectory_length

    def hfov_deg(self, rng):
        return rng.uniform(55.0, 70.0)

    def run(self, job, seed, options, out_dir):
        sequence, frame = divmod(job.index, options.trajectory_length)
        view, rng = self.render(job, seed, options)[2:]
        folder = os.path.join(self.root(out_dir), job.split,
                              f'scene_{sequence:04d}')
        write_jpeg(os.path.join(folder, f'{frame:07d}.jpg'), view['rgb'])
        write_png(os.path.join(folder, 'depth', f'{frame:07d}.png'),
                  to_uint16_mm(view['depth']))
        write_png(os.path.join(folder, 'pseudo_depth', f'{frame:07d}.png'),
                  to_uint16_mm(pseudo_depth(view['depth'], rng)))
        return {'scene': f'scene_{sequence:04d}', 'K': view['K'].tolist(),
                'pose': view['pose'][:3].ravel().tolist()}

    def finalize(self, jobs_and_records, options, out_dir):
        root = os.path.join(self.root(out_dir), 'training')
        scenes = {}
        for _, record in jobs_and_records:
            scenes.setdefault(record['scene'], []).append(record)
        for scene, records in scenes.items():
            write_lines(os.path.join(root, scene, 'cam.txt'),
                        [' '.join(f'{v:.9g}' for v in row)
                         for row in records[0]['K']])
            write_lines(os.path.join(root, scene, 'poses.txt'),
                        [' '.join(f'{v:.9g}' for v in r['pose'])
                         for r in records])
        names = list(scenes)
        num_train = len(names) - options.num_val_trajectories
        write_lines(os.path.join(root, 'train.txt'), names[:num_train])
        write_lines(os.path.join(root, 'val.txt'), names[num_train:])


LAYOUTS = {layout.name: layout for layout in (
    ImageNetLayout(), ADELayout(), COCOLayout(), NYULayout(), KITTILayout(),
    TrajectoryLayout())}

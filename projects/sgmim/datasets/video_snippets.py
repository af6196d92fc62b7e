"""Snippets of video frames (a target frame and its neighbours) with the
intrinsics, read from the SC-Depth layout (:mod:`.video_layout`)."""
import logging
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine import fileio
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmengine.utils import is_abs
from mmpretrain.registry import DATASETS, TRANSFORMS

from .video_layout import (find_frame_gap, parse_frame_index,
                           parse_intrinsics, parse_poses, snippet_indices,
                           snippet_offsets, sort_frames)

__all__ = ['VideoSnippetDataset']

#: Files named in an error about missing maps (the rest are counted).
_MAX_LISTED = 5
#: The map kinds: dataset argument prefix -> data-info key of the paths.
_MAP_KINDS = {'pseudo_depth': 'pseudo_depth_paths',
              'gt_depth': 'gt_depth_paths'}


@DATASETS.register_module()
class VideoSnippetDataset(BaseDataset):
    """Frame snippets of the SC-Depth layout: NYUv2 raw and KITTI raw as
    SC-Depth prepares them, and SynthScenes ``trajectories/``.

    ::

        <data_root>/training/train.txt        # scene folders, one a line
        <data_root>/training/<scene>/0000000.jpg ... cam.txt
        <data_root>/training/<scene>/pseudo_depth/0000000.png  # optional
        <data_root>/training/<scene>/depth/0000000.png         # optional

        dataset = dict(type='VideoSnippetDataset',
                       data_root='data/synthscenes/trajectories',
                       ann_file='training/train.txt',
                       pseudo_depth_dir='pseudo_depth',   # stage 3
                       pipeline=train_pipeline)

        train_pipeline = [  # SC-Depth's order; MeSa's 480x480 crop
            dict(type='LoadSnippetFromFiles'),
            dict(type='SnippetRandomFlip'),
            dict(type='SnippetRandomScaleCrop'),      # U[1, 1.15] per axis
            dict(type='SnippetCrop', crop_size=480),  # NYUv2 640x480
            dict(type='PackSnippetInputs'),           # + SnippetResize for
        ]                                             # SC-Depth's sizes
        data_preprocessor = dict(  # SC-Depth: (x / 255 - 0.45) / 0.225
            type='SelfSupDataPreprocessor', mean=[114.75] * 3,
            std=[57.375] * 3, bgr_to_rgb=True)

    Snippets (as SC-Depth's ``TrainFolder``): the frames of a scene are its
    files ending in ``img_suffix``, in time order (by number when every
    stem is a number, else by name), optionally only those listed in
    ``frame_index.txt``; each frame ``t`` whose neighbours
    ``t + o, o in [-h*k, ..., -k, k, ..., h*k]`` (``h = (L - 1)/2``,
    ``L = sequence_length``, ``k = skip_frames``) all exist is a target,
    so a scene of ``N`` frames gives ``N - 2*h*k`` snippets, and a scene
    shorter than ``2*h*k + 1`` frames none (it is skipped with a warning;
    SC-Depth skips it silently). Snippets are ordered by scene (split file
    order), then target.

    Maps are matched to frames by name: the map of frame ``<stem>.jpg`` is
    ``<folder>/<stem><suffix>``. A map folder containing ``{scene}`` is a
    path relative to ``data_root`` (a parallel tree, e.g. what
    ``tools/dataset_converters/generate_pseudo_depth.py --img-dir
    <data_root>/training --out-dir <data_root>/pseudo_depth`` writes:
    ``'pseudo_depth/{scene}'``); any other is a subfolder of every scene
    folder (SynthScenes ``'pseudo_depth'`` and ``'depth'``, SC-Depth V3's
    ``'leres_depth'``). SC-Depth pairs maps with frames by sorted position
    instead, which silently misaligns when one map is missing.

    Data infos (all frame lists ordered ``[target, ref_1, ..., ref_n]``):
    ``img_path`` (the target frame), ``frame_paths``, ``frame_ids``
    (positions in the scene's frame list), ``scene``, ``intrinsics``
    ((3, 3) float64, pixels, pixel centres at integer coordinates, as
    SynthScenes writes them: ``cx = (W - 1)/2`` for a centred principal
    point), and when configured ``pseudo_depth_paths``, ``gt_depth_paths``
    (aligned with ``frame_paths``) and ``ref_poses`` ((n, 4, 4) float64,
    ``T_ref<-tgt = inv(P_ref) @ P_tgt`` from the camera-to-world poses
    ``P`` of ``poses.txt``: ``X_ref = T X_tgt`` in camera coordinates).

    Errors name the file: a listed scene folder that is missing or holds
    no frame, a gap in numbered frames (``check_gaps``), a ``cam.txt``
    that is missing or not a 3x3 pinhole matrix, a bad ``poses.txt`` or
    ``frame_index.txt``, missing maps (the frames and the expected maps),
    and a split file that gives no snippet at all.

    Args:
        data_root (str): Dataset root. Defaults to ''.
        ann_file (str): Split file listing scene folders, relative to
            ``data_root`` unless absolute. Defaults to
            ``'training/train.txt'``.
        data_prefix (dict, optional): ``img_path``: the folder holding the
            scene folders. Defaults to the split file's folder.
        sequence_length (int): Frames per snippet, odd (1 for single
            frames). Defaults to 3.
        skip_frames (int): Frame step ``k`` between snippet frames.
            Defaults to 1.
        img_suffix (Sequence[str]): Frame file endings (compared
            lower-case). Defaults to ``('.jpg',)`` (SC-Depth).
        use_frame_index (bool): Keep only the frames listed in each scene's
            ``frame_index.txt`` (SC-Depth's ``--use_frame_index``).
            Defaults to False.
        check_gaps (bool): Raise if numbered frames skip a number.
            Defaults to True.
        pseudo_depth_dir (str, optional): Pseudo-depth folder (see above);
            None: no pseudo-depth. Defaults to None.
        pseudo_depth_suffix (str): Pseudo-depth file ending, ``.png``
            (16-bit, as the SG-MIM writer and SynthScenes write) or
            ``.npy``. Defaults to ``'.png'``.
        gt_depth_dir (str, optional): Ground-truth depth folder (see
            above); None: none. Defaults to None.
        gt_depth_suffix (str): Ground-truth file ending. Defaults to
            ``'.png'``.
        with_pose (bool): Read ``poses.txt`` into ``ref_poses``.
            Defaults to False.
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.
        **kwargs: Arguments of ``mmengine.dataset.BaseDataset``
            (``pipeline``, built in mmpretrain's ``TRANSFORMS``;
            ``test_mode``, ``indices``, ``lazy_init``, ...).
    """

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = 'training/train.txt',
                 data_prefix: Optional[dict] = None,
                 sequence_length: int = 3,
                 skip_frames: int = 1,
                 img_suffix: Sequence[str] = ('.jpg', ),
                 use_frame_index: bool = False,
                 check_gaps: bool = True,
                 pseudo_depth_dir: Optional[str] = None,
                 pseudo_depth_suffix: str = '.png',
                 gt_depth_dir: Optional[str] = None,
                 gt_depth_suffix: str = '.png',
                 with_pose: bool = False,
                 backend_args: Optional[dict] = None,
                 **kwargs):
        if not isinstance(ann_file, str) or not ann_file:
            raise ValueError(f'ann_file: expected the split file listing '
                             f'scene folders, got {ann_file!r}')
        self.offsets = snippet_offsets(sequence_length, skip_frames)
        self.sequence_length = sequence_length
        self.skip_frames = skip_frames
        if isinstance(img_suffix, str):
            img_suffix = (img_suffix, )
        self.img_suffix = tuple(_suffix('img_suffix', s).lower()
                                for s in img_suffix)
        if not self.img_suffix:
            raise ValueError('img_suffix: expected at least one ending')
        self.use_frame_index = use_frame_index
        self.check_gaps = check_gaps
        self.map_dirs = {}
        self.map_suffixes = {}
        for kind, folder, suffix in (
                ('pseudo_depth', pseudo_depth_dir, pseudo_depth_suffix),
                ('gt_depth', gt_depth_dir, gt_depth_suffix)):
            if folder is not None:
                self.map_dirs[kind] = _map_folder_arg(f'{kind}_dir', folder)
                self.map_suffixes[kind] = _suffix(f'{kind}_suffix', suffix)
        self.with_pose = with_pose
        self.backend_args = backend_args
        if data_prefix is None:
            data_prefix = dict(img_path=osp.dirname(ann_file))
        # Built in mmpretrain's registry (as mmpretrain's BaseDataset does),
        # so that the pipeline builds outside a runner's default scope too.
        pipeline = [
            TRANSFORMS.build(t) if isinstance(t, dict) else t
            for t in kwargs.pop('pipeline', [])
        ]
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            data_prefix=data_prefix,
            pipeline=pipeline,
            **kwargs)

    # ------------------------------------------------------------ loading

    def load_data_list(self) -> List[dict]:
        """One data info per snippet; see the class docstring."""
        name = type(self).__name__
        try:
            text = fileio.get_text(self.ann_file,
                                   backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(
                f'{name}: split file {self.ann_file} not found') from None
        scenes = [(no, line.strip())
                  for no, line in enumerate(text.splitlines(), start=1)
                  if line.strip()]
        if not scenes:
            raise ValueError(f'{name}: split file {self.ann_file} lists no '
                             'scene folder')
        data_list, short = [], []
        for line_no, scene in scenes:
            infos = self._scene_snippets(scene, line_no)
            if not infos:
                short.append(scene)
            data_list += infos
        if short:
            print_log(
                f'{name}: {len(short)} scene(s) of {self.ann_file} have '
                f'fewer than {2 * max(self.offsets, default=0) + 1} frames '
                f'(sequence_length={self.sequence_length}, skip_frames='
                f'{self.skip_frames}) and give no snippet: '
                f'{", ".join(short[:_MAX_LISTED])}'
                + (' ...' if len(short) > _MAX_LISTED else ''),
                logger='current', level=logging.WARNING)
        if not data_list:
            raise ValueError(
                f'{name}: no snippet in the scenes of {self.ann_file}: every '
                f'scene is shorter than sequence_length={self.sequence_length}'
                f' frames at skip_frames={self.skip_frames}')
        return data_list

    def _scene_snippets(self, scene: str, line_no: int) -> List[dict]:
        """The data infos of one scene listed on ``line_no``."""
        scene_dir = fileio.join_path(self.data_prefix['img_path'], scene)
        where = f'listed on line {line_no} of {self.ann_file}'
        names = sort_frames([
            n for n in self._list_files(scene_dir, f'scene folder {where}')
            if n.lower().endswith(self.img_suffix)
        ])
        if not names:
            raise FileNotFoundError(
                f'scene folder {scene_dir} ({where}) holds no frame ending '
                f'in {"/".join(self.img_suffix)}')
        if self.check_gaps:
            gap = find_frame_gap(names)
            if gap is not None:
                raise FileNotFoundError(
                    f'frame {fileio.join_path(scene_dir, gap)} is missing: '
                    f'the numbered frames of {scene_dir} ({where}) skip it, '
                    'so snippets across the gap would pair frames that are '
                    'not neighbours (set check_gaps=False to allow gaps)')
        poses = self._read_poses(scene_dir, len(names)) \
            if self.with_pose else None
        if self.use_frame_index:
            path = fileio.join_path(scene_dir, 'frame_index.txt')
            kept = parse_frame_index(self._read_text(path, 'frame index'),
                                     path, len(names))
            names = [names[i] for i in kept]
            poses = None if poses is None else poses[kept]
        snippets = snippet_indices(len(names), self.sequence_length,
                                   self.skip_frames)
        if not snippets:
            return []
        cam_path = fileio.join_path(scene_dir, 'cam.txt')
        K = parse_intrinsics(self._read_text(cam_path, 'intrinsics'),
                             cam_path)
        frame_paths = [fileio.join_path(scene_dir, n) for n in names]
        map_paths = {
            kind: self._map_paths(kind, scene, scene_dir, frame_paths)
            for kind in self.map_dirs
        }
        infos = []
        for ids in snippets:
            info = dict(
                img_path=frame_paths[ids[0]],
                frame_paths=[frame_paths[i] for i in ids],
                frame_ids=list(ids),
                scene=scene,
                intrinsics=K.copy())
            for kind, paths in map_paths.items():
                info[_MAP_KINDS[kind]] = [paths[i] for i in ids]
            if poses is not None:
                info['ref_poses'] = np.stack(
                    [np.linalg.inv(poses[r]) @ poses[ids[0]]
                     for r in ids[1:]]).reshape(-1, 4, 4)
            infos.append(info)
        return infos

    def _map_paths(self, kind: str, scene: str, scene_dir: str,
                   frame_paths: List[str]) -> List[str]:
        """The ``kind`` map of every frame; ``FileNotFoundError`` naming
        the frames whose map is missing (one listing of the folder)."""
        template = self.map_dirs[kind]
        if '{scene}' in template:
            folder = template.format(scene=scene)
            if not is_abs(folder) and self.data_root:
                folder = fileio.join_path(self.data_root, folder)
        else:
            folder = fileio.join_path(scene_dir, template)
        suffix = self.map_suffixes[kind]
        paths = [
            fileio.join_path(folder,
                             osp.splitext(osp.basename(p))[0] + suffix)
            for p in frame_paths
        ]
        present = set(self._list_files(folder, None))
        missing = [(f, m) for f, m in zip(frame_paths, paths)
                   if osp.basename(m) not in present]
        if missing:
            listed = '\n'.join(f'  frame {f} -> expected {kind} map {m}'
                               for f, m in missing[:_MAX_LISTED])
            more = len(missing) - _MAX_LISTED
            raise FileNotFoundError(
                f'{len(missing)} of {len(paths)} {kind} maps of scene '
                f'{scene_dir} are missing ({kind}_dir={template!r}):\n'
                f'{listed}' + (f'\n  ... and {more} more' if more > 0 else ''))
        return paths

    def _read_poses(self, scene_dir: str, num_frames: int) -> np.ndarray:
        path = fileio.join_path(scene_dir, 'poses.txt')
        return parse_poses(self._read_text(path, 'poses (with_pose=True)'),
                           path, num_frames)

    def _read_text(self, path: str, what: str) -> str:
        try:
            return fileio.get_text(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(f'{what} file {path} not found') from None

    def _list_files(self, folder: str, what: Optional[str]) -> List[str]:
        """Names of the files directly in ``folder``; a missing folder
        raises naming it when ``what`` describes it, else gives []."""
        try:
            return list(
                fileio.list_dir_or_file(
                    folder, list_dir=False, backend_args=self.backend_args))
        except (FileNotFoundError, NotADirectoryError):
            if what is None:
                return []
            raise FileNotFoundError(f'{what}: {folder} not found') from None


def _suffix(arg: str, value) -> str:
    if not (isinstance(value, str) and value.startswith('.')
            and len(value) > 1):
        raise ValueError(f"{arg}: expected a file ending such as '.png', got "
                         f'{value!r}')
    return value


def _map_folder_arg(arg: str, value) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f'{arg}: expected a folder name or a path with '
                         f"'{{scene}}', got {value!r}")
    try:
        value.format(scene='scene')
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(f"{arg}: only '{{scene}}' may be substituted in "
                         f'{value!r} ({type(error).__name__}: {error})'
                         ) from None
    return value

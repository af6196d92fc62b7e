"""KITTI Eigen split: official downloads -> ``data/kitti`` (BTS layout).

Inputs (official downloads):

* raw drives ``RAW/<date>/<date>_drive_XXXX_sync/image_02/data/*.png`` with
  ``RAW/<date>/calib_cam_to_cam.txt``;
* annotated depth ``DEPTH/{train,val}/<drive>_sync/proj_depth/groundtruth/
  image_02/*.png`` (``data_depth_annotated.zip``);
* Eigen split lists, one frame a line, either
  ``<date>/<drive>_sync/image_02/data/<frame>.png [...]`` (BTS lists) or
  ``<date>/<drive>_sync <frame index> l|r`` (Monodepth2 lists).

Output (what the KITTI configs read)::

    OUT/raw/<date>/<drive>_sync/image_0{2,3}/data/<frame>.png
    OUT/raw/<date>/calib_cam_to_cam.txt
    OUT/depth/<drive>_sync/proj_depth/groundtruth/image_0{2,3}/<frame>.png
    OUT/eigen_{train,test}_files_with_gt.txt

Each list line is ``<rgb rel. raw/> <depth rel. depth/ | None> <focal>``,
the focal length in pixels being ``P_rect_0{2,3}[0, 0]`` of the drive's
calibration. Files are symlinked, or copied with ``copy=True``.
"""
import os.path as osp
import re
from typing import Dict, List, Optional

from tqdm import tqdm

from .common import (place_file, raise_missing, require_paths,
                     write_lines_atomic)

DEPTH_SUBSETS = ('train', 'val')
CALIB_FILE = 'calib_cam_to_cam.txt'


def read_focal(calib_path: str, camera: str = '02') -> float:
    """``P_rect_<camera>[0, 0]`` of a KITTI ``calib_cam_to_cam.txt``."""
    key = f'P_rect_{camera}:'
    with open(calib_path) as f:
        for line in f:
            if line.startswith(key):
                return float(line[len(key):].split()[0])
    raise KeyError(f'{calib_path} has no {key[:-1]} entry')


def parse_split_line(line: str) -> Optional[str]:
    """RGB path relative to the raw root of one split-list line; None for a
    blank line."""
    tokens = line.split()
    if not tokens:
        return None
    if tokens[0].lower().endswith(('.png', '.jpg')):
        return tokens[0]
    if len(tokens) == 3 and tokens[2] in ('l', 'r'):
        camera = 'image_02' if tokens[2] == 'l' else 'image_03'
        return f'{tokens[0]}/{camera}/data/{int(tokens[1]):010d}.png'
    raise ValueError(f'cannot parse Eigen split line {line.strip()!r}')


def _parts(rgb_rel: str):
    match = re.match(r'([^/]+)/([^/]+)/(image_0[23])/data/([^/]+)$', rgb_rel)
    if not match:
        raise ValueError(f'not a KITTI raw image path: {rgb_rel!r}')
    return match.groups()  # date, drive, camera, frame


def depth_relpath(rgb_rel: str) -> str:
    """Depth path (relative to ``depth/``) of a raw image path."""
    _, drive, camera, frame = _parts(rgb_rel)
    frame = osp.splitext(frame)[0] + '.png'
    return f'{drive}/proj_depth/groundtruth/{camera}/{frame}'


def find_depth(depth_root: str, depth_rel: str) -> Optional[str]:
    """The annotated depth map in ``train/`` or ``val/``, if any."""
    for subset in DEPTH_SUBSETS:
        path = osp.join(depth_root, subset, depth_rel)
        if osp.isfile(path):
            return path
    return None


def read_split_file(path: str) -> List[str]:
    """RGB paths of an Eigen split list."""
    require_paths([path], 'Eigen split list')
    with open(path) as f:
        return [rel for rel in map(parse_split_line, f) if rel]


def _focal(raw_root: str, rgb_rel: str, cache: Dict) -> float:
    date, _, camera, _ = _parts(rgb_rel)
    key = (date, camera)
    if key not in cache:
        calib = osp.join(raw_root, date, CALIB_FILE)
        require_paths([calib], 'KITTI calibration file')
        cache[key] = read_focal(calib, camera[-2:])
    return cache[key]


def prepare_split(rgb_rels: List[str], raw_root: str, depth_root: str,
                  out_dir: str, copy: bool = False, progress: bool = True,
                  desc: str = '') -> List[str]:
    """Place the files of one split and return its list lines."""
    raise_missing([osp.join(raw_root, r) for r in rgb_rels
                   if not osp.isfile(osp.join(raw_root, r))],
                  'KITTI raw images')
    lines, focals = [], {}
    for rgb_rel in tqdm(rgb_rels, desc=desc, disable=not progress):
        place_file(osp.join(raw_root, rgb_rel),
                   osp.join(out_dir, 'raw', rgb_rel), copy)
        depth_rel = depth_relpath(rgb_rel)
        depth_src = find_depth(depth_root, depth_rel)
        if depth_src is None:
            depth_rel = 'None'
        else:
            place_file(depth_src, osp.join(out_dir, 'depth', depth_rel), copy)
        focal = _focal(raw_root, rgb_rel, focals)
        lines.append(f'{rgb_rel} {depth_rel} {focal:.4f}')
    for date in sorted({d for d, _ in focals}):
        place_file(osp.join(raw_root, date, CALIB_FILE),
                   osp.join(out_dir, 'raw', date, CALIB_FILE), copy=True)
    return lines


def prepare_kitti(raw_root: str, depth_root: str, split_files: Dict[str, str],
                  out_dir: str, copy: bool = False,
                  progress: bool = True) -> Dict[str, dict]:
    """Build ``out_dir`` from the official downloads (see module doc).

    Args:
        raw_root (str): Folder holding the ``<date>/`` raw drive folders.
        depth_root (str): ``data_depth_annotated`` folder (``train/`` and
            ``val/``).
        split_files (dict): ``{'train': path, 'test': path}`` Eigen lists.
        out_dir (str): Output root, e.g. ``data/kitti``.
        copy (bool): Copy instead of symlinking. Defaults to False.
        progress (bool): Show progress bars. Defaults to True.

    Returns:
        dict: Per split, ``frames`` and ``with_depth`` counts.
    """
    require_paths([raw_root, depth_root], 'KITTI input folder')
    rgb_lists = {s: read_split_file(p) for s, p in split_files.items()}
    summary = {}
    for split, rgb_rels in rgb_lists.items():
        lines = prepare_split(rgb_rels, raw_root, depth_root, out_dir, copy,
                              progress, desc=f'kitti {split}')
        write_lines_atomic(
            osp.join(out_dir, f'eigen_{split}_files_with_gt.txt'), lines)
        summary[split] = dict(
            frames=len(lines),
            with_depth=sum(line.split()[1] != 'None' for line in lines))
    return summary

"""NYUv2 BTS split: the BTS "sync" release + file lists -> ``data/nyu_sync``.

The training split of BTS, GLPDepth and the dark-secrets depth code
(SwinTransformer/MIM-Depth-Estimation) is 24231 frames of the raw NYUv2
scenes, time-synchronised and projected by BTS; testing uses the official
654 labeled test images. Inputs:

* ``sync/<scene>/rgb_%05d.jpg`` and ``sync_depth_%05d.png`` -- BTS's
  ``sync.zip`` (284 scenes);
* ``official_splits/test/<category>/rgb_%05d.jpg`` and
  ``sync_depth_%05d.png`` -- the 654 official test images (BTS's
  ``utils/extract_official_train_test_set_from_mat.py`` writes them from
  ``nyu_depth_v2_labeled.mat`` and ``splits.mat``: the *raw* depth
  ``rawDepths``, holes 0, and the RGB with a 7-pixel black border, while
  :mod:`.nyu` writes the inpainted ``depths``: scores on the two test sets
  are not interchangeable);
* the file lists of BTS's ``train_test_inputs/``:
  ``nyudepthv2_train_files_with_gt.txt`` (24231 lines relative to
  ``sync/``, e.g. ``/kitchen_0028b/rgb_00045.jpg
  /kitchen_0028b/sync_depth_00045.png 518.8579``) and
  ``nyudepthv2_test_files_with_gt.txt`` (654 lines relative to
  ``official_splits/test/``). GLPDepth's two-column ``train_list.txt`` /
  ``test_list.txt`` (same frames, no focal) are accepted too: their lines
  get the NYUv2 focal length 518.8579.

Depth PNGs are uint16 millimetres (0 = invalid). Output (what
``configs/_base_/datasets/nyu_depth_480x480.py`` and
:class:`sgmim.datasets.NYUSyncDepthDataset` read)::

    OUT/sync/<scene>/...                      (the listed training frames)
    OUT/official_splits/test/<category>/...   (the listed test frames)
    OUT/nyudepthv2_train_files_with_gt.txt    (three columns)
    OUT/nyudepthv2_test_files_with_gt.txt

Every listed file is checked before anything is written (the error names
the missing files with their list and line). Files are copied, or
symlinked with ``link=True``; a file already in place (``OUT`` is the input
root, or a rerun) is left alone, so ``OUT = input root`` only validates the
tree and writes the two lists into it. Writes are atomic.

The 795/654 labeled split in mmseg's ``NYUDataset`` layout comes from
:mod:`.nyu` instead (``configs/benchmarks/glpdepth/*_nyu-labeled795-*.py``).
"""
import os.path as osp
from typing import Dict, List, Optional, Tuple

from tqdm import tqdm

from ..depth_file_list import FileListEntry, parse_file_list_line
from .common import place_file, raise_missing, require_paths, \
    write_lines_atomic

NYU_FOCAL = 518.8579  # the focal length of every line of BTS's NYUv2 lists
LIST_NAMES = {
    'train': 'nyudepthv2_train_files_with_gt.txt',
    'test': 'nyudepthv2_test_files_with_gt.txt',
}
SPLIT_DIRS = {'train': 'sync', 'test': osp.join('official_splits', 'test')}

Listed = Tuple[int, str, FileListEntry]  # line number, line, entry


def read_nyu_list(path: str,
                  default_focal: Optional[float] = NYU_FOCAL
                  ) -> List[Listed]:
    """Non-blank lines of a BTS / GLPDepth NYUv2 file list, parsed.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: A malformed line (named with its number).
    """
    require_paths([path], 'NYUv2 file list')
    with open(path) as f:
        lines = f.read().splitlines()
    parsed = []
    for line_no, line in enumerate(lines, start=1):
        entry = parse_file_list_line(line, line_no, path, default_focal)
        if entry is not None:
            parsed.append((line_no, line, entry))
    if not parsed:
        raise ValueError(f'NYUv2 file list {path} has no line')
    return parsed


def list_line(line: str, entry: FileListEntry) -> str:
    """The output line: the input's columns, the focal length appended to a
    two-column line."""
    fields = line.split()
    if len(fields) == 2:
        fields.append(repr(entry.focal))
    return ' '.join(fields)


def _files(entry: FileListEntry) -> List[str]:
    return [entry.rgb] + ([entry.depth] if entry.depth else [])


def _missing(root: str, list_path: str, listed: List[Listed]) -> List[str]:
    return [
        f'{osp.join(root, rel)} (line {line_no} of {list_path})'
        for line_no, _, entry in listed for rel in _files(entry)
        if not osp.isfile(osp.join(root, rel))
    ]


def _scene(entry: FileListEntry) -> str:
    return entry.rgb.split('/', 1)[0] if '/' in entry.rgb else ''


def prepare_nyu_sync(sync_root: str, test_root: str,
                     list_files: Dict[str, str], out_dir: str,
                     link: bool = False, progress: bool = True,
                     default_focal: Optional[float] = NYU_FOCAL
                     ) -> Dict[str, dict]:
    """Build ``out_dir`` from the BTS release (see module doc).

    Args:
        sync_root (str): The ``sync`` folder of scenes (training frames).
        test_root (str): The ``official_splits/test`` folder.
        list_files (dict): ``{'train': path, 'test': path}`` file lists
            (either may be left out).
        out_dir (str): Output root, e.g. ``data/nyu_sync``; may be the
            input root (the folder holding ``sync/``).
        link (bool): Symlink instead of copying. Defaults to False.
        progress (bool): Show progress bars. Defaults to True.
        default_focal (float, optional): Focal length given to two-column
            lines; None rejects them. Defaults to 518.8579.

    Returns:
        dict: Per split, ``frames`` and ``scenes`` counts and the ``list``
        written.
    """
    roots = {'train': sync_root, 'test': test_root}
    unknown = set(list_files) - set(roots)
    if unknown:
        raise ValueError(f'unknown NYUv2 split(s) {sorted(unknown)}: '
                         'expected train and/or test')
    require_paths([roots[split] for split in list_files],
                  'NYUv2 input folder')
    listed = {
        split: read_nyu_list(path, default_focal)
        for split, path in list_files.items()
    }
    raise_missing(
        [m for split, path in list_files.items()
         for m in _missing(roots[split], path, listed[split])],
        'NYUv2 listed files')
    summary = {}
    for split, entries in listed.items():
        out_root = osp.join(out_dir, SPLIT_DIRS[split])
        for _, _, entry in tqdm(entries, desc=f'nyu_sync {split}',
                                disable=not progress):
            for rel in _files(entry):
                place_file(osp.join(roots[split], rel),
                           osp.join(out_root, rel), copy=not link)
        out_list = osp.join(out_dir, LIST_NAMES[split])
        write_lines_atomic(out_list,
                           [list_line(line, e) for _, line, e in entries])
        summary[split] = dict(
            frames=len(entries),
            scenes=len({_scene(e) for _, _, e in entries}),
            list=out_list)
    return summary

"""Monocular depth datasets read from BTS-style file lists.

BTS, GLPDepth and the dark-secrets depth code (SwinTransformer/
MIM-Depth-Estimation) list one frame a line::

    <rgb> <depth|None> <focal>
    /kitchen_0028b/rgb_00045.jpg /kitchen_0028b/sync_depth_00045.png 518.8579

``<rgb>`` and ``<depth>`` are relative to an image and a depth root (a
leading ``/``, as in the NYUv2 training list, is dropped); ``None`` marks a
frame without ground truth; ``<focal>`` is the focal length in pixels.
"""
import os.path as osp
from typing import List, NamedTuple, Optional

import mmengine
import mmengine.fileio as fileio
from mmseg.datasets import BaseSegDataset

__all__ = ['FileListEntry', 'parse_file_list_line', 'FileListDepthDataset']


class FileListEntry(NamedTuple):
    """One parsed line: ``depth`` is None for a ``None`` entry."""

    rgb: str
    depth: Optional[str]
    focal: float


def parse_file_list_line(line: str, line_no: int, list_file: str,
                         default_focal: Optional[float] = None,
                         owner: str = '') -> Optional[FileListEntry]:
    """Parse line ``line_no`` (1-based) of ``list_file``; None if blank.

    Args:
        line (str): The line.
        line_no (int): Its number, for error messages.
        list_file (str): The list's path, for error messages.
        default_focal (float, optional): Focal length of two-column lines
            (``<rgb> <depth>``, GLPDepth's ``train_list.txt``); None accepts
            three-column lines only. Defaults to None.
        owner (str): Prefix of error messages (a class name). Defaults to ''.

    Raises:
        ValueError: Wrong column count or a non-numeric focal length; the
            message names ``list_file``, the line number and the line.
    """
    fields = line.split()
    if not fields:
        return None
    where = (f'{owner + ": " if owner else ""}line {line_no} of {list_file} '
             f'({line.strip()!r})')
    if len(fields) == 2 and default_focal is not None:
        fields.append(str(default_focal))
    if len(fields) != 3:
        shape = '<rgb> <depth|None> ' + (
            '[<focal>]' if default_focal is not None else '<focal>')
        raise ValueError(f'{where}: expected "{shape}", got {len(fields)} '
                         'columns')
    rgb, depth, focal = fields
    try:
        focal = float(focal)
    except ValueError:
        raise ValueError(
            f'{where}: focal length {focal!r} is not a number') from None
    return FileListEntry(rgb.lstrip('/'),
                         None if depth == 'None' else depth.lstrip('/'), focal)


class FileListDepthDataset(BaseSegDataset):
    """Base of the depth datasets read from a BTS-style file list.

    Every listed file is checked to exist; a missing one raises
    ``FileNotFoundError`` naming the list file, its line number and the path.
    Lines with ``None`` depth are skipped unless ``keep_missing_depth=True``
    (test mode only: their ``depth_map_path`` is ``None``, so the pipeline
    must not load depth, e.g. ``format_only`` prediction export).

    Data infos: ``img_path``, ``depth_map_path``, ``focal_length`` (float)
    and ``seg_fields=[]``, plus what :meth:`parse_data_info` adds.

    Args:
        ann_file (str): The list file, relative to ``data_root`` unless
            absolute.
        data_prefix (dict): ``img_path`` and ``depth_map_path`` roots.
        keep_missing_depth (bool): Keep ``None``-depth lines (requires
            ``test_mode=True``). Defaults to False.
        check_files (bool): Check that every listed file exists.
            Defaults to True.
        default_focal (float, optional): Accept two-column lines with this
            focal length; None requires three columns. Defaults to None.
        **kwargs: Arguments of ``mmseg.datasets.BaseSegDataset``
            (``data_root``, ``pipeline``, ``test_mode``, ``indices``, ...).
    """

    def __init__(self,
                 ann_file: str,
                 data_prefix: dict,
                 keep_missing_depth: bool = False,
                 check_files: bool = True,
                 default_focal: Optional[float] = None,
                 **kwargs) -> None:
        name = type(self).__name__
        if keep_missing_depth and not kwargs.get('test_mode', False):
            raise ValueError(
                f'{name}: keep_missing_depth=True keeps images without '
                'ground truth and needs test_mode=True')
        if not ann_file:
            raise ValueError(f'{name}: ann_file (the split file list) is '
                             'required')
        self.keep_missing_depth = keep_missing_depth
        self.check_files = check_files
        self.default_focal = default_focal
        super().__init__(
            ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def _check_exists(self, path: str, kind: str, line_no: int,
                      line: str) -> None:
        if self.check_files and not fileio.exists(
                path, backend_args=self.backend_args):
            raise FileNotFoundError(
                f'{type(self).__name__}: {kind} file {path} listed on line '
                f'{line_no} of {self.ann_file} ({line.strip()!r}) does not '
                'exist')

    def parse_data_info(self, raw_data_info: dict) -> dict:
        """Hook for subclasses: the data info of one listed frame."""
        return raw_data_info

    def load_data_list(self) -> List[dict]:
        """Parse ``ann_file`` into data infos, in file order."""
        name = type(self).__name__
        if not fileio.exists(self.ann_file, backend_args=self.backend_args):
            raise FileNotFoundError(
                f'{name}: split file {self.ann_file} not found')
        img_dir = self.data_prefix.get('img_path', '') or ''
        depth_dir = self.data_prefix.get('depth_map_path', '') or ''
        lines = mmengine.list_from_file(
            self.ann_file, backend_args=self.backend_args)
        data_list = []
        for line_no, line in enumerate(lines, start=1):
            entry = parse_file_list_line(line, line_no, self.ann_file,
                                         self.default_focal, name)
            if entry is None:
                continue
            img_path = osp.join(img_dir, entry.rgb)
            self._check_exists(img_path, 'image', line_no, line)
            if entry.depth is None:
                if not self.keep_missing_depth:
                    continue
                depth_path = None
            else:
                depth_path = osp.join(depth_dir, entry.depth)
                self._check_exists(depth_path, 'depth', line_no, line)
            data_list.append(
                self.parse_data_info(
                    dict(
                        img_path=img_path,
                        depth_map_path=depth_path,
                        focal_length=entry.focal,
                        seg_fields=[])))
        if not data_list:
            raise ValueError(f'{name}: no usable line in {self.ann_file}')
        return data_list

"""KITTI depth (Eigen split, BTS file lists) as an mmseg dataset."""
import os.path as osp
from typing import List

import mmengine
import mmengine.fileio as fileio
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

__all__ = ['KITTIDepthDataset']


@DATASETS.register_module()
class KITTIDepthDataset(BaseSegDataset):
    """KITTI monocular depth with the BTS / GLPDepth Eigen split files.

    .. code-block:: none

        kitti/
        ├── raw/2011_09_26/2011_09_26_drive_0001_sync/image_02/data/*.png
        ├── depth/2011_09_26_drive_0001_sync/proj_depth/groundtruth/
        │   image_02/*.png                    # uint16 metres·256, 0 invalid
        ├── eigen_train_files_with_gt.txt
        └── eigen_test_files_with_gt.txt

    Each line of ``ann_file`` is ``<rgb> <depth> <focal>``: ``<rgb>``
    relative to ``data_prefix['img_path']``, ``<depth>`` relative to
    ``data_prefix['depth_map_path']`` or the word ``None`` (no ground
    truth), ``<focal>`` the focal length in pixels.  Lines with ``None``
    depth are skipped unless ``keep_missing_depth=True`` (test mode only:
    their ``depth_map_path`` is ``None``, so the pipeline must not load
    depth, e.g. ``format_only`` prediction export).  Every listed file is
    checked to exist; a missing one raises ``FileNotFoundError`` naming the
    split file, its line number and the path.

    Data infos: ``img_path``, ``depth_map_path``, ``focal_length`` (float)
    and ``seg_fields=[]`` (no ``category_id``).  Depth PNGs are uint16
    ``metres · 256``: load them with
    ``dict(type='LoadDepthAnnotation', depth_rescale_factor=1 / 256)``
    (``metainfo['depth_scale'] == 256``).

    Args:
        ann_file (str): Split file, relative to ``data_root`` unless
            absolute. Defaults to 'eigen_train_files_with_gt.txt'.
        data_prefix (dict): ``img_path`` and ``depth_map_path`` roots.
            Defaults to dict(img_path='raw', depth_map_path='depth').
        keep_missing_depth (bool): Keep ``None``-depth lines (requires
            ``test_mode=True``). Defaults to False.
        check_files (bool): Check that every listed file exists.
            Defaults to True.
        **kwargs: Arguments of ``mmseg.datasets.BaseSegDataset``
            (``data_root``, ``pipeline``, ``test_mode``, ``indices``, ...).
    """

    METAINFO = dict(classes=(), palette=[], depth_scale=256.0)

    def __init__(self,
                 ann_file: str = 'eigen_train_files_with_gt.txt',
                 data_prefix: dict = dict(
                     img_path='raw', depth_map_path='depth'),
                 keep_missing_depth: bool = False,
                 check_files: bool = True,
                 **kwargs) -> None:
        if keep_missing_depth and not kwargs.get('test_mode', False):
            raise ValueError(
                'KITTIDepthDataset: keep_missing_depth=True keeps images '
                'without ground truth and needs test_mode=True')
        if not ann_file:
            raise ValueError('KITTIDepthDataset: ann_file (the Eigen split '
                             'file) is required')
        self.keep_missing_depth = keep_missing_depth
        self.check_files = check_files
        super().__init__(
            ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def _check_exists(self, path: str, kind: str, line_no: int,
                      line: str) -> None:
        if self.check_files and not fileio.exists(
                path, backend_args=self.backend_args):
            raise FileNotFoundError(
                f'KITTIDepthDataset: {kind} file {path} listed on line '
                f'{line_no} of {self.ann_file} ({line!r}) does not exist')

    def load_data_list(self) -> List[dict]:
        """Parse ``ann_file`` into data infos, in file order."""
        if not fileio.exists(self.ann_file, backend_args=self.backend_args):
            raise FileNotFoundError(
                f'KITTIDepthDataset: split file {self.ann_file} not found')
        img_dir = self.data_prefix.get('img_path', '') or ''
        depth_dir = self.data_prefix.get('depth_map_path', '') or ''
        lines = mmengine.list_from_file(
            self.ann_file, backend_args=self.backend_args)
        data_list = []
        for line_no, line in enumerate(lines, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 3:
                raise ValueError(
                    f'KITTIDepthDataset: line {line_no} of {self.ann_file} '
                    f'({line!r}): expected "<rgb> <depth|None> <focal>"')
            rgb, depth, focal = fields
            try:
                focal = float(focal)
            except ValueError:
                raise ValueError(
                    f'KITTIDepthDataset: line {line_no} of {self.ann_file} '
                    f'({line!r}): focal length {focal!r} is not a number'
                ) from None
            img_path = osp.join(img_dir, rgb)
            self._check_exists(img_path, 'image', line_no, line)
            if depth == 'None':
                if not self.keep_missing_depth:
                    continue
                depth_path = None
            else:
                depth_path = osp.join(depth_dir, depth)
                self._check_exists(depth_path, 'depth', line_no, line)
            data_list.append(
                dict(
                    img_path=img_path,
                    depth_map_path=depth_path,
                    focal_length=focal,
                    seg_fields=[]))
        if not data_list:
            raise ValueError(f'KITTIDepthDataset: no usable line in '
                             f'{self.ann_file}')
        return data_list

"""iBims-1 (Koch et al.), the indoor out-of-distribution depth test set,
as an mmseg dataset."""
import os.path as osp
from typing import List

import mmengine
import mmengine.fileio as fileio
from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .ibims_files import (IBIMS_DEPTH_SCALE, RAW_REQUIRED, ibims_raw_paths)

__all__ = ['IBimsDataset', 'IBIMS_FORMATS']

IBIMS_FORMATS = ('mat', 'png')
DEFAULT_PREFIX = dict(mat_path='ibims1_core_mat', raw_path='ibims1_core_raw')


@DATASETS.register_module()
class IBimsDataset(BaseSegDataset):
    """iBims-1: 100 indoor test images (640x480) with laser depth, depth
    edges, plane masks and normals (Koch et al., ECCV-W 2018).

    .. code-block:: none

        ibims1/                         (data_root)
        ├── imagelist.txt               # names, one a line (corridor_01)
        ├── ibims1_core_mat/<name>.mat  # data_format='mat' (default)
        └── ibims1_core_raw/            # data_format='png'
            ├── rgb/ depth/ calib/ mask_invalid/ mask_transp/
            └── edges/ mask_<t>/ mask_<t>_paras/   (optional)

    Files and fields: :mod:`sgmim.datasets.ibims_files`. Lines of
    ``ann_file`` are image names, with or without the ``.mat`` / ``.png``
    extension; blank lines are skipped. Every listed file (the ``.mat``, or
    the required PNG-variant files) is checked to exist, and a missing one
    raises ``FileNotFoundError`` naming the list, the line and the path;
    fields are read (and a missing field reported) by the pipeline's
    :class:`~sgmim.datasets.LoadIBimsSample`.

    Data infos: ``img_path`` (the ``.mat`` file, or ``rgb/<name>.png``),
    ``depth_map_path`` (the ``.mat`` or ``depth/<name>.png``),
    ``ibims_name``, ``ibims_format`` and, for ``'png'``, ``ibims_paths``
    (every file of the image, :func:`~.ibims_files.ibims_raw_paths`);
    ``seg_fields=[]``. Test data only: there is no training split.

    Args:
        ann_file (str): The image list, relative to ``data_root`` unless
            absolute. Defaults to 'imagelist.txt'.
        data_format (str): ``'mat'`` (``ibims1_core_mat``) or ``'png'``
            (``ibims1_core_raw``). Defaults to 'mat'.
        data_prefix (dict): ``mat_path`` and ``raw_path`` folders
            (relative to ``data_root``; a key left out keeps its default).
            Defaults to dict(mat_path='ibims1_core_mat',
            raw_path='ibims1_core_raw').
        check_files (bool): Check that the listed files exist.
            Defaults to True.
        **kwargs: Arguments of ``mmseg.datasets.BaseSegDataset``
            (``data_root``, ``pipeline``, ``indices``, ...).
    """

    METAINFO = dict(classes=(), palette=[], depth_scale=IBIMS_DEPTH_SCALE)

    def __init__(self,
                 ann_file: str = 'imagelist.txt',
                 data_format: str = 'mat',
                 data_prefix: dict = dict(
                     mat_path='ibims1_core_mat', raw_path='ibims1_core_raw'),
                 check_files: bool = True,
                 **kwargs) -> None:
        if data_format not in IBIMS_FORMATS:
            raise ValueError(f'IBimsDataset: data_format must be one of '
                             f'{IBIMS_FORMATS}, got {data_format!r}')
        if not ann_file:
            raise ValueError('IBimsDataset: ann_file (the image list) is '
                             'required')
        self.data_format = data_format
        self.check_files = check_files
        kwargs.setdefault('test_mode', True)
        super().__init__(ann_file=ann_file,
                         data_prefix=dict(DEFAULT_PREFIX, **data_prefix),
                         **kwargs)

    def _check(self, path: str, line_no: int, name: str) -> None:
        if self.check_files and not fileio.exists(
                path, backend_args=self.backend_args):
            raise FileNotFoundError(
                f'IBimsDataset: {path} (image {name!r}, line {line_no} of '
                f'{self.ann_file}) does not exist')

    def _data_info(self, name: str, line_no: int) -> dict:
        info = dict(ibims_name=name, ibims_format=self.data_format,
                    seg_fields=[])
        if self.data_format == 'mat':
            path = osp.join(self.data_prefix['mat_path'], f'{name}.mat')
            self._check(path, line_no, name)
            return dict(info, img_path=path, depth_map_path=path)
        paths = ibims_raw_paths(self.data_prefix['raw_path'], name)
        for key in RAW_REQUIRED:
            self._check(paths[key], line_no, name)
        return dict(info, img_path=paths['rgb'],
                    depth_map_path=paths['depth'], ibims_paths=paths)

    def load_data_list(self) -> List[dict]:
        """Data infos of the listed images, in list order."""
        if not fileio.exists(self.ann_file, backend_args=self.backend_args):
            raise FileNotFoundError(
                f'IBimsDataset: image list {self.ann_file} not found')
        data_list, seen = [], {}
        lines = mmengine.list_from_file(self.ann_file,
                                        backend_args=self.backend_args)
        for line_no, line in enumerate(lines, start=1):
            name = line.strip()
            if not name:
                continue
            if len(name.split()) != 1:
                raise ValueError(f'IBimsDataset: line {line_no} of '
                                 f'{self.ann_file} ({name!r}): expected one '
                                 'image name')
            stem, ext = osp.splitext(name)
            if ext.lower() in ('.mat', '.png'):
                name = stem
            if name in seen:
                raise ValueError(f'IBimsDataset: image {name!r} is listed '
                                 f'twice in {self.ann_file} (lines '
                                 f'{seen[name]} and {line_no})')
            seen[name] = line_no
            data_list.append(self._data_info(name, line_no))
        if not data_list:
            raise ValueError(f'IBimsDataset: no image listed in '
                             f'{self.ann_file}')
        return data_list

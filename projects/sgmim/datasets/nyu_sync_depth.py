"""NYUv2 depth, BTS "sync" release and file lists, as an mmseg dataset."""
import os.path as osp
import re

from mmseg.datasets import NYUDataset
from mmseg.registry import DATASETS

from .depth_file_list import FileListDepthDataset

__all__ = ['NYUSyncDepthDataset', 'nyu_scene_category']


def nyu_scene_category(name: str) -> str:
    """Scene category of a NYUv2 scene folder or file name: the part before
    the first digit, without its ``_`` (``'living_room_0038_out'`` ->
    ``'living_room'``, ``'bathroom'`` -> ``'bathroom'``), as mmseg's
    ``NYUDataset`` reads its file names."""
    return re.split(r'_?\d', name, maxsplit=1)[0]


@DATASETS.register_module()
class NYUSyncDepthDataset(FileListDepthDataset):
    """NYUv2 monocular depth with the BTS / GLPDepth training split (24231
    frames of the raw scenes) and the official 654 test images.

    .. code-block:: none

        nyu_sync/
        ├── sync/<scene>/                # 284 raw scenes (kitchen_0028b)
        │   └── rgb_%05d.jpg, sync_depth_%05d.png
        ├── official_splits/test/<category>/
        │   └── rgb_%05d.jpg, sync_depth_%05d.png
        ├── nyudepthv2_train_files_with_gt.txt  # 24231 lines, rel. sync/
        └── nyudepthv2_test_files_with_gt.txt   # 654 lines, rel. test/

    (the layout of BTS's ``sync.zip`` and its ``official_splits``, prepared
    by ``tools/dataset_converters/prepare_nyu_sync.py``). Lines are
    ``<rgb> <depth> <focal>`` (``/kitchen_0028b/rgb_00045.jpg
    /kitchen_0028b/sync_depth_00045.png 518.8579``); a leading ``/`` is
    dropped. Parsing, file checks and ``None`` depth:
    :class:`~.depth_file_list.FileListDepthDataset`.

    Data infos are those of mmseg's ``NYUDataset`` -- ``img_path``,
    ``depth_map_path``, ``seg_fields=[]`` and ``category_id`` (index of the
    scene category in ``metainfo['classes']``, -1 for a category outside
    mmseg's list, e.g. ``nyu_office``), taken from the name of the image's
    folder (:func:`nyu_scene_category`) -- plus ``focal_length``. Depth
    PNGs are uint16 millimetres: load them with
    ``dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3)``
    (``metainfo['depth_scale'] == 1000``).

    Args:
        ann_file (str): File list, relative to ``data_root`` unless
            absolute. Defaults to 'nyudepthv2_train_files_with_gt.txt'.
        data_prefix (dict): ``img_path`` and ``depth_map_path`` roots.
            Defaults to dict(img_path='sync', depth_map_path='sync'); the
            test list needs ``'official_splits/test'`` for both.
        **kwargs: ``keep_missing_depth``, ``check_files``,
            ``default_focal`` (e.g. 518.8579 to read GLPDepth's two-column
            ``train_list.txt``; see ``FileListDepthDataset``) and the
            arguments of ``mmseg.datasets.BaseSegDataset``.
    """

    METAINFO = dict(classes=NYUDataset.METAINFO['classes'], depth_scale=1000.0)

    def __init__(self,
                 ann_file: str = 'nyudepthv2_train_files_with_gt.txt',
                 data_prefix: dict = dict(
                     img_path='sync', depth_map_path='sync'),
                 **kwargs) -> None:
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

    def parse_data_info(self, raw_data_info: dict) -> dict:
        """Add ``category_id`` from the image's folder name."""
        folder = osp.basename(osp.dirname(raw_data_info['img_path']))
        category = nyu_scene_category(folder)
        classes = self._metainfo['classes']
        raw_data_info['category_id'] = (
            classes.index(category) if category in classes else -1)
        return raw_data_info

"""KITTI depth (Eigen split, BTS file lists) as an mmseg dataset."""
from mmseg.registry import DATASETS

from .depth_file_list import FileListDepthDataset

__all__ = ['KITTIDepthDataset']


@DATASETS.register_module()
class KITTIDepthDataset(FileListDepthDataset):
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
    truth), ``<focal>`` the focal length in pixels (parsing, file checks and
    ``None`` handling: :class:`~.depth_file_list.FileListDepthDataset`).

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
        **kwargs: ``keep_missing_depth``, ``check_files``,
            ``default_focal`` (see ``FileListDepthDataset``) and the
            arguments of ``mmseg.datasets.BaseSegDataset``.
    """

    METAINFO = dict(classes=(), palette=[], depth_scale=256.0)

    def __init__(self,
                 ann_file: str = 'eigen_train_files_with_gt.txt',
                 data_prefix: dict = dict(
                     img_path='raw', depth_map_path='depth'),
                 **kwargs) -> None:
        super().__init__(ann_file=ann_file, data_prefix=data_prefix, **kwargs)

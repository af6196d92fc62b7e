"""ImageNet-style image folder paired with a parallel structure-map folder."""
import os.path as osp

from mmengine.fileio import get_file_backend
from mmpretrain.datasets import ImageNet
from mmpretrain.registry import DATASETS

__all__ = ['ImageNetWithStructureMap']

#: Missing maps named in the error message (the rest are only counted).
_MAX_LISTED_MISSING = 5


@DATASETS.register_module()
class ImageNetWithStructureMap(ImageNet):
    """ImageNet / CustomDataset whose every image has a structure-knowledge
    map (e.g. an offline pseudo-depth map) in a parallel folder.

    Written like an mmpretrain ImageNet config plus the map folder::

        imagenet/train/<category>/<name>.JPEG
        imagenet/meta/train.txt                   # '<category>/<name>.JPEG 3'
        imagenet/pseudo_depth/train/<category>/<name>.png

        dataset = dict(type='ImageNetWithStructureMap',
                       data_root='data/imagenet', split='train',
                       structure_map_prefix='pseudo_depth/train')

    Contract: the map of image ``<img_prefix>/<rel>.<ext>`` is
    ``<structure_map_prefix>/<rel><structure_map_suffix>``; each data info
    gains ``structure_map_path`` (read by :class:`LoadStructureMap`).  While
    the data list is loaded, every map is checked to exist (one directory
    listing per folder, not one ``stat`` per file); missing maps raise
    ``FileNotFoundError`` naming the first few image/map pairs and the count.

    Args:
        structure_map_prefix (str): Map folder, relative to ``data_root``
            unless absolute (joined like ``data_prefix``).
        structure_map_suffix (str): Extension replacing the image's:
            ``'.png'`` (default; 8/16-bit), ``'.npy'`` or ``'.npz'``.
        **kwargs: Arguments of :class:`mmpretrain.datasets.ImageNet`
            (``data_root``, ``split``, ``ann_file``, ``data_prefix``,
            ``pipeline``, ...).
    """

    def __init__(self,
                 structure_map_prefix: str,
                 structure_map_suffix: str = '.png',
                 **kwargs):
        if not isinstance(structure_map_prefix, str) or \
                not structure_map_prefix:
            raise ValueError('structure_map_prefix: expected a non-empty '
                             f'folder path, got {structure_map_prefix!r}')
        if not (isinstance(structure_map_suffix, str)
                and structure_map_suffix.startswith('.')
                and len(structure_map_suffix) > 1):
            raise ValueError("structure_map_suffix: expected an extension "
                             f"such as '.png', got {structure_map_suffix!r}")
        self._structure_map_prefix = structure_map_prefix
        self.structure_map_suffix = structure_map_suffix
        super().__init__(**kwargs)

    @property
    def structure_map_prefix(self) -> str:
        """The map folder, joined with ``data_root``."""
        return self.data_prefix['structure_map_path']

    def _join_prefix(self):
        """Join the map folder with ``data_root`` like the image folder."""
        self.data_prefix['structure_map_path'] = self._structure_map_prefix
        super()._join_prefix()

    def load_data_list(self):
        """Image infos of the parent plus ``structure_map_path``; raises
        ``FileNotFoundError`` if any map is missing."""
        data_list = super().load_data_list()
        backend = get_file_backend(self.structure_map_prefix,
                                   enable_singleton=True)
        for info in data_list:
            relative = _relative_path(info['img_path'], self.img_prefix)
            info['structure_map_path'] = backend.join_path(
                self.structure_map_prefix,
                osp.splitext(relative)[0] + self.structure_map_suffix)
        _check_maps_exist(data_list, backend)
        return data_list

    def extra_repr(self):
        """The extra repr information of the dataset."""
        return super().extra_repr() + [
            f'Prefix of structure maps: \t{self.structure_map_prefix}',
            f'Structure map suffix: \t{self.structure_map_suffix}'
        ]


def _relative_path(path: str, prefix: str) -> str:
    """``path`` relative to the folder ``prefix`` it was joined with."""
    if not prefix:
        return path
    if not path.startswith(prefix):
        raise ValueError(f'image path {path!r} is not under the image '
                         f'folder {prefix!r}')
    return path[len(prefix):].lstrip('/\\')


def _check_maps_exist(data_list, backend):
    """Raise ``FileNotFoundError`` naming the images whose map is missing."""
    listings = {}  # folder -> names of its files, listed once
    missing = []
    for info in data_list:
        folder, name = osp.split(info['structure_map_path'])
        if folder not in listings:
            listings[folder] = _list_files(backend, folder)
        if name not in listings[folder]:
            missing.append(info)
    if missing:
        listed = '\n'.join(
            f"  image {info['img_path']} -> expected map "
            f"{info['structure_map_path']}"
            for info in missing[:_MAX_LISTED_MISSING])
        more = len(missing) - _MAX_LISTED_MISSING
        raise FileNotFoundError(
            f'{len(missing)} of {len(data_list)} structure maps are missing:'
            f'\n{listed}' + (f'\n  ... and {more} more' if more > 0 else ''))


def _list_files(backend, folder):
    """Names of the files directly in ``folder`` (empty if it is absent)."""
    try:
        return set(backend.list_dir_or_file(folder, list_dir=False))
    except FileNotFoundError:
        return set()

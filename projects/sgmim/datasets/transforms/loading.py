"""Loading of structure-knowledge maps (pseudo-depth and the like)."""
import io
import os.path as osp
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmpretrain.registry import TRANSFORMS

__all__ = [
    'LoadStructureMap', 'StructureMapError', 'decode_structure_map',
    'to_metric_map'
]


class StructureMapError(ValueError):
    """A structure map that cannot be used: unreadable, wrong shape or
    values, or not the size of its image."""


@TRANSFORMS.register_module()
class LoadStructureMap(BaseTransform):
    """Load the structure map of an already loaded image.

    Place it after ``LoadImageFromFile``.  Decoding by extension of
    ``structure_map_path``:

    - ``.npy``: the stored array;
    - ``.npz``: the array ``npz_key`` (default: the archive's first array);
    - anything else (``.png``, ...): decoded with OpenCV ``IMREAD_UNCHANGED``
      so 16-bit PNGs keep their 16 bits.

    Integer-coded maps (8/16-bit PNG, integer arrays) are converted as
    ``s = scale * stored`` (default ``1/1000``: millimetres to metres; use
    ``1/255`` for 8-bit maps); floating-point arrays are taken as stored.
    A map of shape (H, W) or (H, W, 1) is accepted and must be the size of
    ``results['img']``, and finite.

    **Required Keys:** ``structure_map_path``, ``img`` (and ``img_path``,
    named in errors).

    **Added Keys:** ``structure_map`` (np.float32, (H, W)).

    Errors (:class:`StructureMapError`, a ``ValueError``, or
    ``FileNotFoundError``) name both the map file and the image file.

    Args:
        scale (float): Factor applied to integer-coded maps.
            Defaults to 1/1000.
        npz_key (str, optional): Array read from ``.npz`` files.
            Defaults to None (the first array).
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.
    """

    def __init__(self,
                 scale: float = 1e-3,
                 npz_key: Optional[str] = None,
                 backend_args: Optional[dict] = None):
        if not (isinstance(scale, (int, float)) and np.isfinite(scale)
                and scale > 0):
            raise ValueError(f'scale: expected a positive number, got '
                             f'{scale!r}')
        self.scale = float(scale)
        self.npz_key = npz_key
        self.backend_args = None if backend_args is None else dict(
            backend_args)

    def transform(self, results: dict) -> dict:
        """Add ``results['structure_map']`` (float32, (H, W))."""
        map_path = results['structure_map_path']
        where = (f"structure map {map_path} (of image "
                 f"{results.get('img_path')})")
        if 'img' not in results:
            raise KeyError(f'{where}: LoadStructureMap needs the loaded '
                           f'image; put it after LoadImageFromFile')
        try:
            content = fileio.get(map_path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(f'{where}: file not found') from None
        try:
            array = decode_structure_map(content,
                                         osp.splitext(map_path)[1],
                                         self.npz_key)
            results['structure_map'] = to_metric_map(
                array, results['img'].shape[:2], self.scale)
        except StructureMapError as error:
            raise StructureMapError(f'{where}: {error}') from error.__cause__
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, '
                f'npz_key={self.npz_key!r}, '
                f'backend_args={self.backend_args})')


def decode_structure_map(content: bytes, extension: str,
                         npz_key: Optional[str] = None) -> np.ndarray:
    """File bytes -> the stored array: ``.npy``, ``.npz`` (array
    ``npz_key``, default the first) or an image decoded with OpenCV
    ``IMREAD_UNCHANGED``; raises :class:`StructureMapError`, also for an
    empty file."""
    if not content:
        raise StructureMapError('is empty (0 bytes)')
    extension = extension.lower()
    try:
        if extension == '.npy':
            return np.load(io.BytesIO(content), allow_pickle=False)
        if extension == '.npz':
            return _read_npz(content, npz_key)
        array = mmcv.imfrombytes(content, flag='unchanged', backend='cv2')
    except StructureMapError:
        raise
    except Exception as error:  # numpy and OpenCV raise many types here
        raise StructureMapError(
            f'cannot be read ({type(error).__name__}: {error})') from error
    if array is None:
        raise StructureMapError('cannot be decoded (corrupt or not an image)')
    return array


def _read_npz(content: bytes, key: Optional[str]) -> np.ndarray:
    with np.load(io.BytesIO(content), allow_pickle=False) as archive:
        if not archive.files:
            raise StructureMapError('the .npz archive holds no array')
        key = archive.files[0] if key is None else key
        if key not in archive.files:
            raise StructureMapError(f'no array {key!r} in the .npz archive '
                                    f'(it holds {archive.files})')
        return archive[key]


def to_metric_map(array: np.ndarray, img_hw, scale: float) -> np.ndarray:
    """Stored array -> float32 (H, W) map: ``scale * stored`` for integer
    dtypes, unchanged floats; shape (H, W) or (H, W, 1) equal to ``img_hw``
    and finite values, else :class:`StructureMapError`."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim != 2:
        raise StructureMapError(
            f'expected a single-channel map of shape (H, W) or (H, W, 1), '
            f'got shape {array.shape}')
    if tuple(array.shape) != tuple(img_hw):
        raise StructureMapError(f'size {tuple(array.shape)} (H, W) differs '
                                f'from the image size {tuple(img_hw)}')
    if np.issubdtype(array.dtype, np.integer):
        return (array.astype(np.float64) * scale).astype(np.float32)
    if not np.issubdtype(array.dtype, np.floating):
        raise StructureMapError(f'expected integer or floating-point values, '
                                f'got dtype {array.dtype}')
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise StructureMapError('holds non-finite values (NaN or inf)')
    return array

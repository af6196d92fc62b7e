"""Geometric augmentations applied with ONE random draw to an image and its
pixel-aligned maps (structure map, ...)."""
from typing import Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import RandomFlip
from mmpretrain.datasets.transforms import RandomResizedCrop
from mmpretrain.registry import TRANSFORMS

__all__ = ['JointRandomResizedCrop', 'JointRandomFlip']

_INTERPOLATIONS = ('nearest', 'bilinear', 'bicubic', 'area', 'lanczos')


def as_map_keys(map_keys) -> Tuple[str, ...]:
    """Validate a ``map_keys`` argument (a sequence of result keys)."""
    if isinstance(map_keys, str) or not all(
            isinstance(key, str) for key in map_keys):
        raise ValueError(f'map_keys: expected a sequence of result keys, got '
                         f'{map_keys!r}')
    return tuple(map_keys)


def check_aligned_maps(results: dict, map_keys: Sequence[str]) -> None:
    """Every ``results[key]`` exists and has the (H, W) of ``results['img']``;
    else ``KeyError`` / ``ValueError`` naming the key and the image."""
    img_hw = results['img'].shape[:2]
    for key in map_keys:
        if key not in results:
            raise KeyError(f'map {key!r} missing for image '
                           f"{results.get('img_path')}: load it before the "
                           f'joint transforms (or change map_keys)')
        if results[key].shape[:2] != img_hw:
            raise ValueError(f'map {key!r} of shape {results[key].shape} is '
                             f'not aligned with image '
                             f"{results.get('img_path')} of shape {img_hw}")


def resized_crop(array: np.ndarray, box: Tuple[int, int, int, int],
                 size_hw: Tuple[int, int], interpolation: str,
                 backend: str = 'cv2') -> np.ndarray:
    """Crop ``array[top:top + h, left:left + w]`` for
    ``box = (top, left, h, w)`` and resize it to ``size_hw``."""
    top, left, height, width = box
    crop = array[top:top + height, left:left + width]
    return mmcv.imresize(crop, tuple(size_hw[::-1]),
                         interpolation=interpolation, backend=backend)


@TRANSFORMS.register_module()
class JointRandomResizedCrop(RandomResizedCrop):
    """mmpretrain's ``RandomResizedCrop`` applied with the SAME crop box to
    ``img`` and to every map in ``map_keys``.

    The box ``(top, left, h, w)`` is drawn once by the parent's
    ``rand_crop_params`` (area fraction in ``crop_ratio_range``, log-uniform
    aspect ratio in ``aspect_ratio_range``, central fallback); the image is
    resized with ``interpolation``/``backend`` and the maps with
    ``map_interpolation`` (OpenCV, float-preserving), so for every output
    pixel image and maps sample the same source location.

    **Required Keys:** ``img``, ``*map_keys`` (each (H, W) or (H, W, C) with
    the image's H, W).

    **Modified Keys:** ``img``, ``img_shape`` ((h, w)), ``*map_keys``
    (same dtype, spatial size ``scale``).

    Args:
        scale (int | Sequence[int]): Output size; an int gives a square,
            a sequence is (h, w).
        crop_ratio_range (tuple): Area fraction of the crop.
            Defaults to (0.67, 1.0) (SG-MIM / SimMIM; the parent's default
            is (0.08, 1.0)).
        aspect_ratio_range (tuple): Aspect ratio range of the crop.
            Defaults to (3/4, 4/3).
        max_attempts (int): Draws before the central-crop fallback.
            Defaults to 10.
        interpolation (str): Image interpolation. Defaults to 'bilinear'.
        backend (str): Image resize backend, 'cv2' or 'pillow'.
            Defaults to 'cv2'.
        map_keys (Sequence[str]): Maps cropped with the image.
            Defaults to ('structure_map',).
        map_interpolation (str): Map interpolation, one of 'nearest',
            'bilinear', 'bicubic', 'area', 'lanczos'. Defaults to 'bilinear'.
    """

    def __init__(self,
                 scale: Union[Sequence, int],
                 crop_ratio_range: Tuple[float, float] = (0.67, 1.0),
                 aspect_ratio_range: Tuple[float, float] = (3. / 4., 4. / 3.),
                 max_attempts: int = 10,
                 interpolation: str = 'bilinear',
                 backend: str = 'cv2',
                 map_keys: Sequence[str] = ('structure_map', ),
                 map_interpolation: str = 'bilinear'):
        super().__init__(
            scale,
            crop_ratio_range=crop_ratio_range,
            aspect_ratio_range=aspect_ratio_range,
            max_attempts=max_attempts,
            interpolation=interpolation,
            backend=backend)
        if map_interpolation not in _INTERPOLATIONS:
            raise ValueError(f'map_interpolation: expected one of '
                             f'{_INTERPOLATIONS}, got {map_interpolation!r}')
        self.map_keys = as_map_keys(map_keys)
        self.map_interpolation = map_interpolation

    def transform(self, results: dict) -> dict:
        """Crop and resize ``img`` and the maps with one random box."""
        check_aligned_maps(results, self.map_keys)
        box = self.rand_crop_params(results['img'])
        results['img'] = resized_crop(results['img'], box, self.scale,
                                      self.interpolation, self.backend)
        for key in self.map_keys:
            results[key] = resized_crop(results[key], box, self.scale,
                                        self.map_interpolation)
        results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return (super().__repr__()[:-1] + f', map_keys={self.map_keys}, '
                f'map_interpolation={self.map_interpolation})')


@TRANSFORMS.register_module()
class JointRandomFlip(RandomFlip):
    """mmcv's ``RandomFlip`` that flips every map in ``map_keys`` together
    with ``img`` (one draw: both flipped or neither, same direction).

    **Required Keys:** ``img``, ``*map_keys`` (aligned with ``img``).

    **Modified Keys:** ``img``, ``*map_keys`` (contiguous arrays).

    **Added Keys:** ``flip`` (bool), ``flip_direction`` (str or None).

    Args:
        prob (float | list[float]): Flip probability (per direction for a
            list). Defaults to 0.5.
        direction (str | list[str]): 'horizontal', 'vertical' or
            'diagonal', or a list of them. Defaults to 'horizontal'.
        map_keys (Sequence[str]): Maps flipped with the image.
            Defaults to ('structure_map',).
    """

    def __init__(self,
                 prob: Union[float, Sequence[float]] = 0.5,
                 direction: Union[str, Sequence[str]] = 'horizontal',
                 map_keys: Sequence[str] = ('structure_map', )):
        super().__init__(prob=prob, direction=direction)
        self.map_keys = as_map_keys(map_keys)

    def transform(self, results: dict) -> dict:
        """Flip ``img`` and the maps with one random draw."""
        check_aligned_maps(results, self.map_keys)
        return super().transform(results)

    def _flip(self, results: dict) -> None:
        super()._flip(results)
        for key in self.map_keys:
            results[key] = np.ascontiguousarray(
                mmcv.imflip(results[key], direction=results['flip_direction']))

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f', map_keys={self.map_keys})'


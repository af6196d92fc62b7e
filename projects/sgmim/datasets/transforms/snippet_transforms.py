"""Geometric augmentations of a frame snippet: one random draw for all its
frames and maps, with the intrinsics (and relative poses) updated.

mmcv's ``RandomFlip`` / ``RandomCrop`` / ``Resize`` transform a single
``img`` and know nothing of intrinsics, and mmpretrain's ``MultiView``
draws independently per view; these transform the list ``results['img']``
(``[target, ref_1, ..., ref_n]``, as :class:`LoadSnippetFromFiles` loads
it), the maps of ``map_keys`` (lists aligned with the frames) and
``results['intrinsics']`` with the formulas of :mod:`.snippet_geometry`
(pixel centres at integer coordinates). Randomness comes from
``np.random`` (reseeded per sample by the ``PerSampleSeed*`` samplers).

**Required Keys:** ``img`` (list of (H, W, C) arrays), ``intrinsics``
((3, 3)), ``*map_keys`` (optional; lists of (H, W) arrays), ``ref_poses``
(optional; flip only).

**Modified Keys:** ``img``, ``img_shape``, ``intrinsics`` (float64),
``*map_keys``, ``ref_poses``.
"""
from typing import Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS

from .joint_transforms import as_map_keys
from .snippet_geometry import (IMAGE_INTERPOLATIONS, MAP_INTERPOLATIONS,
                               crop_intrinsics, flip_intrinsics,
                               flip_relative_poses, map_frames, resize_image,
                               resize_intrinsics, resize_map, snippet_size)

__all__ = [
    'SnippetRandomFlip', 'SnippetRandomScaleCrop', 'SnippetCrop',
    'SnippetResize'
]

#: The maps :class:`LoadSnippetFromFiles` may add.
SNIPPET_MAP_KEYS = ('pseudo_depth', 'gt_depth')


def _size_hw(arg: str, value) -> Tuple[int, int]:
    """An int (square) or (h, w) of positive ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    try:
        h, w = value
        ok = all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                 for v in (h, w))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f'{arg}: expected a positive int or (h, w), got '
                         f'{value!r}')
    return int(h), int(w)


def _choice(arg: str, value: str, allowed) -> str:
    if value not in allowed:
        raise ValueError(f'{arg}: expected one of {tuple(allowed)}, got '
                         f'{value!r}')
    return value


class _SnippetTransform(BaseTransform):
    """Checks shared by the snippet transforms."""

    def __init__(self, map_keys: Sequence[str]):
        self.map_keys = as_map_keys(map_keys)

    def _begin(self, results: dict) -> Tuple[Tuple[int, int], np.ndarray]:
        """``((H, W), K)`` of a consistent snippet."""
        hw = snippet_size(results, self.map_keys)
        if 'intrinsics' not in results:
            raise KeyError(f'{type(self).__name__}: results of snippet '
                           f"{results.get('img_path')} hold no 'intrinsics'")
        return hw, results['intrinsics']

    def _resize(self, results, K, hw, size_hw):
        """Resize every frame and map to ``size_hw``; return the new K."""
        (h, w), (out_h, out_w) = hw, size_hw
        if (h, w) == (out_h, out_w):
            return np.asarray(K, np.float64)
        map_frames(
            results, self.map_keys,
            lambda a: resize_image(a, (out_w, out_h), self.interpolation),
            lambda a: resize_map(a, (out_w, out_h), self.map_interpolation))
        return resize_intrinsics(K, out_w / w, out_h / h)

    def _crop(self, results, K, top, left, size_hw):
        """Crop every frame and map at ``(top, left)``; return the new K."""
        h, w = size_hw
        map_frames(results, self.map_keys,
                   lambda a: a[top:top + h, left:left + w].copy(),
                   lambda a: a[top:top + h, left:left + w].copy())
        return crop_intrinsics(K, left, top)


@TRANSFORMS.register_module()
class SnippetRandomFlip(_SnippetTransform):
    """Flip every frame and map of a snippet horizontally, with probability
    ``prob`` (one draw), as SC-Depth's ``RandomHorizontalFlip``.

    ``cx' = W - 1 - cx`` and skew ``s' = -s`` (pixel centres; SC-Depth's
    ``W - cx`` is the pixel-corner form); relative poses ``T' = F T F``,
    ``F = diag(-1, 1, 1, 1)``. Adds ``flip`` (bool) and ``flip_direction``
    (``'horizontal'`` or None).

    Args:
        prob (float): Flip probability. Defaults to 0.5.
        map_keys (Sequence[str]): Maps flipped with the frames (absent ones
            are ignored). Defaults to ``('pseudo_depth', 'gt_depth')``.
    """

    def __init__(self, prob: float = 0.5,
                 map_keys: Sequence[str] = SNIPPET_MAP_KEYS):
        super().__init__(map_keys)
        if not (isinstance(prob, (int, float)) and 0 <= prob <= 1):
            raise ValueError(f'prob: expected a probability in [0, 1], got '
                             f'{prob!r}')
        self.prob = float(prob)

    def transform(self, results: dict) -> dict:
        """Flip with probability ``prob``."""
        (_, w), K = self._begin(results)
        flip = bool(np.random.rand() < self.prob)
        results['flip'] = flip
        results['flip_direction'] = 'horizontal' if flip else None
        if flip:
            mirror = lambda a: np.ascontiguousarray(a[:, ::-1])  # noqa: E731
            map_frames(results, self.map_keys, mirror, mirror)
            results['intrinsics'] = flip_intrinsics(K, w)
            if results.get('ref_poses') is not None:
                results['ref_poses'] = flip_relative_poses(
                    results['ref_poses'])
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(prob={self.prob}, '
                f'map_keys={self.map_keys})')


@TRANSFORMS.register_module()
class SnippetRandomScaleCrop(_SnippetTransform):
    """Zoom a snippet in and crop it back to its size, as SC-Depth's
    ``RandomScaleCrop``.

    ``sx, sy ~ U(scale_range)`` independently (one draw per snippet);
    frames and maps are resized to ``(Ws, Hs) = (floor(W sx), floor(H
    sy))`` and cropped to ``(W, H)`` at ``left ~ U{0..Ws - W}``, ``top ~
    U{0..Hs - H}``. ``K' = crop(resize(K, Ws/W, Hs/H), left, top)``: the
    realised factors ``Ws/W`` (SC-Depth scales K by the drawn ``sx``,
    not the realised size, and without the half-pixel term).

    Args:
        scale_range (tuple): Range of the per-axis zoom, ``>= 1``.
            Defaults to (1.0, 1.15).
        interpolation (str): Frame interpolation (mmcv, OpenCV backend):
            'bilinear', 'bicubic', 'area' or 'lanczos'.
            Defaults to 'bilinear'.
        map_interpolation (str): 'nearest' (OpenCV ``INTER_NEAREST_EXACT``;
            depth, keeps invalid zeros) or 'bilinear'.
            Defaults to 'nearest'.
        map_keys (Sequence[str]): Maps transformed with the frames.
            Defaults to ``('pseudo_depth', 'gt_depth')``.
    """

    def __init__(self,
                 scale_range: Tuple[float, float] = (1.0, 1.15),
                 interpolation: str = 'bilinear',
                 map_interpolation: str = 'nearest',
                 map_keys: Sequence[str] = SNIPPET_MAP_KEYS):
        super().__init__(map_keys)
        try:
            lo, hi = (float(v) for v in scale_range)
        except (TypeError, ValueError):
            lo = hi = float('nan')
        if not 1.0 <= lo <= hi < float('inf'):
            raise ValueError(f'scale_range: expected (min, max) with 1 <= min'
                             f' <= max, got {scale_range!r}')
        self.scale_range = (lo, hi)
        self.interpolation = _choice('interpolation', interpolation,
                                     IMAGE_INTERPOLATIONS)
        self.map_interpolation = _choice('map_interpolation',
                                         map_interpolation, MAP_INTERPOLATIONS)

    def transform(self, results: dict) -> dict:
        """Zoom by a random per-axis factor and crop back."""
        (h, w), K = self._begin(results)
        sx, sy = np.random.uniform(*self.scale_range, size=2)
        scaled = (int(h * sy), int(w * sx))
        top = np.random.randint(scaled[0] - h + 1)
        left = np.random.randint(scaled[1] - w + 1)
        K = self._resize(results, K, (h, w), scaled)
        results['intrinsics'] = self._crop(results, K, top, left, (h, w))
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(scale_range={self.scale_range}, '
                f'interpolation={self.interpolation!r}, map_interpolation='
                f'{self.map_interpolation!r}, map_keys={self.map_keys})')


@TRANSFORMS.register_module()
class SnippetCrop(_SnippetTransform):
    """Crop a fixed-size window from every frame and map of a snippet (e.g.
    MeSa's 480x480 from NYUv2's 640x480): ``cx' = cx - left``, ``cy' = cy -
    top``.

    ``top ~ U{0..H - h}``, ``left ~ U{0..W - w}`` with ``random_crop``,
    else the centre ``((H - h) // 2, (W - w) // 2)``. Frames smaller than
    the crop raise ``ValueError`` naming the target frame.

    Args:
        crop_size (int | tuple): ``(h, w)``, or an int for a square.
        random_crop (bool): Random (True) or centre (False) window.
            Defaults to True.
        map_keys (Sequence[str]): Maps cropped with the frames.
            Defaults to ``('pseudo_depth', 'gt_depth')``.
    """

    def __init__(self,
                 crop_size: Union[int, Tuple[int, int]],
                 random_crop: bool = True,
                 map_keys: Sequence[str] = SNIPPET_MAP_KEYS):
        super().__init__(map_keys)
        self.crop_size = _size_hw('crop_size', crop_size)
        self.random_crop = bool(random_crop)

    def transform(self, results: dict) -> dict:
        """Crop the window."""
        (h, w), K = self._begin(results)
        ch, cw = self.crop_size
        if ch > h or cw > w:
            raise ValueError(f'{type(self).__name__}: crop (h, w) = '
                             f'{self.crop_size} is larger than the frames '
                             f"({h}, {w}) of {results.get('img_path')}")
        if self.random_crop:
            top, left = np.random.randint(h - ch + 1), np.random.randint(
                w - cw + 1)
        else:
            top, left = (h - ch) // 2, (w - cw) // 2
        results['intrinsics'] = self._crop(results, K, top, left,
                                           self.crop_size)
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(crop_size={self.crop_size}, '
                f'random_crop={self.random_crop}, map_keys={self.map_keys})')


@TRANSFORMS.register_module()
class SnippetResize(_SnippetTransform):
    """Resize every frame and map of a snippet to the training size, as
    SC-Depth's ``RescaleTo``: ``K' = resize(K, w/W, h/H)`` (``fx' = sx fx``,
    ``cx' = sx (cx + 0.5) - 0.5``).

    Args:
        size (int | tuple): Output ``(h, w)`` (SC-Depth: NYU (256, 320),
            KITTI (256, 832)), or an int for a square.
        interpolation (str): Frame interpolation: 'bilinear', 'bicubic',
            'area' or 'lanczos'. Defaults to 'bilinear'.
        map_interpolation (str): 'nearest' or 'bilinear'.
            Defaults to 'nearest'.
        map_keys (Sequence[str]): Maps resized with the frames.
            Defaults to ``('pseudo_depth', 'gt_depth')``.
    """

    def __init__(self,
                 size: Union[int, Tuple[int, int]],
                 interpolation: str = 'bilinear',
                 map_interpolation: str = 'nearest',
                 map_keys: Sequence[str] = SNIPPET_MAP_KEYS):
        super().__init__(map_keys)
        self.size = _size_hw('size', size)
        self.interpolation = _choice('interpolation', interpolation,
                                     IMAGE_INTERPOLATIONS)
        self.map_interpolation = _choice('map_interpolation',
                                         map_interpolation, MAP_INTERPOLATIONS)

    def transform(self, results: dict) -> dict:
        """Resize to ``size``."""
        hw, K = self._begin(results)
        results['intrinsics'] = self._resize(results, K, hw, self.size)
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(size={self.size}, interpolation='
                f'{self.interpolation!r}, map_interpolation='
                f'{self.map_interpolation!r}, map_keys={self.map_keys})')

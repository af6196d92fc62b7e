"""Intrinsics, poses and frames under flips, crops and resizes.

Pixel convention: pixel ``(u, v)`` is the *centre* of column ``u`` and row
``v`` (integer coordinates), the convention of SynthScenes (``cx = (W -
1)/2`` for a centred principal point) and of a pixel grid built with
``arange(W)``, as inverse warping does. Each image operation maps source
pixels to output pixels by an affine map ``p' = A p`` (homogeneous
``p = (u, v, 1)``), and the intrinsics become ``K' = A K`` (times a mirror
of the camera axes for a flip), so that a camera point ``X`` projects to
the transformed pixel: ``K' X' ~ A K X``.

- horizontal flip: ``u' = W - 1 - u`` (the pixel centres swap), with the
  camera x axis mirrored, ``X' = F X``, ``F = diag(-1, 1, 1)``: ``cx' = W -
  1 - cx``, skew ``s' = -s``. SC-Depth writes ``cx' = W - cx``, off by one
  pixel in this convention (right for pixel *corners*).
- resize by ``(sx, sy)`` (OpenCV's half-pixel-centred sampling,
  ``u = (u' + 0.5)/sx - 0.5``): ``u' = sx (u + 0.5) - 0.5``, so ``fx' =
  sx fx``, ``cx' = sx (cx + 0.5) - 0.5``. SC-Depth scales ``cx`` by ``sx``
  alone (a shift of ``(sx - 1)/2`` px).
- crop at ``(left, top)``: ``u' = u - left``: ``cx' = cx - left``.
"""
from typing import Iterable, Tuple

import cv2
import mmcv
import numpy as np

__all__ = [
    'flip_intrinsics', 'resize_intrinsics', 'crop_intrinsics',
    'flip_relative_poses', 'snippet_size', 'map_frames', 'resize_map',
    'resize_image', 'MAP_INTERPOLATIONS', 'IMAGE_INTERPOLATIONS'
]

#: Map interpolations (OpenCV flags). ``nearest`` is OpenCV's
#: ``INTER_NEAREST_EXACT``: plain ``INTER_NEAREST`` samples at ``floor(u' /
#: sx)``, half a pixel off the centres that ``INTER_LINEAR`` and the
#: intrinsics use.
MAP_INTERPOLATIONS = {
    'nearest': cv2.INTER_NEAREST_EXACT,
    'bilinear': cv2.INTER_LINEAR,
}


#: Image interpolations (mmcv names, OpenCV backend), all sampling at the
#: half-pixel centres; mmcv's 'nearest' (``INTER_NEAREST``) is left out.
IMAGE_INTERPOLATIONS = ('bilinear', 'bicubic', 'area', 'lanczos')


def _checked(K: np.ndarray) -> np.ndarray:
    K = np.asarray(K, dtype=np.float64)
    if K.shape != (3, 3):
        raise ValueError(f'intrinsics: expected a (3, 3) matrix, got shape '
                         f'{K.shape}')
    return K


def flip_intrinsics(K: np.ndarray, width: int) -> np.ndarray:
    """K of the horizontally flipped image of width ``W``:
    ``K' = A K F`` with ``A = [[-1, 0, W - 1], [0, 1, 0], [0, 0, 1]]`` and
    ``F = diag(-1, 1, 1)``, i.e. ``cx' = W - 1 - cx``, ``s' = -s``."""
    A = np.array([[-1.0, 0.0, width - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    return A @ _checked(K) @ np.diag([-1.0, 1.0, 1.0])


def resize_intrinsics(K: np.ndarray, sx: float, sy: float) -> np.ndarray:
    """K of the image resized by ``(sx, sy)`` (output/input size):
    ``K' = A K``, ``A = [[sx, 0, (sx - 1)/2], [0, sy, (sy - 1)/2], [0, 0,
    1]]``, i.e. ``fx' = sx fx``, ``cx' = sx (cx + 0.5) - 0.5``."""
    A = np.array([[sx, 0.0, (sx - 1.0) / 2], [0.0, sy, (sy - 1.0) / 2],
                  [0.0, 0.0, 1.0]])
    return A @ _checked(K)


def crop_intrinsics(K: np.ndarray, left: int, top: int) -> np.ndarray:
    """K of the crop whose top-left pixel is ``(left, top)``:
    ``cx' = cx - left``, ``cy' = cy - top``."""
    A = np.array([[1.0, 0.0, -left], [0.0, 1.0, -top], [0.0, 0.0, 1.0]])
    return A @ _checked(K)


def flip_relative_poses(poses: np.ndarray) -> np.ndarray:
    """Relative poses ``T`` (..., 4, 4) between mirrored cameras:
    ``T' = F T F``, ``F = diag(-1, 1, 1, 1)`` (``X' = F X`` in every
    camera), still a rigid motion (``det(F R F) = det R``)."""
    poses = np.asarray(poses, dtype=np.float64)
    if poses.shape[-2:] != (4, 4):
        raise ValueError(f'ref_poses: expected (..., 4, 4) matrices, got '
                         f'shape {poses.shape}')
    F = np.diag([-1.0, 1.0, 1.0, 1.0])
    return F @ poses @ F


def snippet_size(results: dict, map_keys: Iterable[str]) -> Tuple[int, int]:
    """``(H, W)`` shared by every frame of ``results['img']`` and every map
    of ``map_keys`` present; else ``ValueError`` naming the frame or map."""
    frames = results.get('img')
    if not isinstance(frames, (list, tuple)) or not frames:
        raise KeyError(f"results['img']: expected the list of snippet frames "
                       f'(LoadSnippetFromFiles), got {type(frames).__name__}')
    paths = results.get('frame_paths') or [None] * len(frames)
    hw = frames[0].shape[:2]
    for frame, path in zip(frames, paths):
        if frame.shape[:2] != hw:
            raise ValueError(f'frame {path} has size {frame.shape[:2]}, the '
                             f'target frame {paths[0]} {hw}')
    for key in map_keys:
        for i, array in enumerate(results.get(key) or ()):
            if array.shape[:2] != hw:
                raise ValueError(f'{key}[{i}] of frame {paths[i]} has size '
                                 f'{array.shape[:2]}, its frames {hw}')
    return hw


def map_frames(results: dict, map_keys: Iterable[str], image_fn,
               map_fn) -> None:
    """Apply ``image_fn`` to every frame and ``map_fn`` to every map of
    ``map_keys`` present in ``results``, in place."""
    results['img'] = [image_fn(frame) for frame in results['img']]
    for key in map_keys:
        if results.get(key) is not None:
            results[key] = [map_fn(array) for array in results[key]]
    results['img_shape'] = results['img'][0].shape[:2]


def resize_map(array: np.ndarray, size_wh: Tuple[int, int],
               interpolation: str) -> np.ndarray:
    """Resize a depth-like map with :data:`MAP_INTERPOLATIONS` (OpenCV);
    mmcv's ``imresize`` has no ``INTER_NEAREST_EXACT``."""
    out = cv2.resize(array, tuple(size_wh),
                     interpolation=MAP_INTERPOLATIONS[interpolation])
    return out.reshape(out.shape[:2] + array.shape[2:])


def resize_image(image: np.ndarray, size_wh: Tuple[int, int],
                 interpolation: str) -> np.ndarray:
    """mmcv ``imresize`` (OpenCV backend: half-pixel centres)."""
    return mmcv.imresize(image, tuple(size_wh), interpolation=interpolation,
                         backend='cv2')

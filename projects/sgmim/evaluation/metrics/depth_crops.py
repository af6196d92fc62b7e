"""Evaluation crops of monocular depth benchmarks as boolean masks.

Each function maps an ``(H, W)`` shape to a ``bool`` ``np.ndarray`` of that
shape, ``True`` inside the crop:

- NYUv2 (Eigen et al.): rows ``45:471``, cols ``41:601`` on the 480x640
  frame.  Other sizes scale the bounds proportionally, each rounded half up
  (``round(45·H/480)`` etc., integer arithmetic), which is exact on 480x640.
- KITTI Garg crop: rows ``int(0.40810811·H) : int(0.99189189·H)``,
  cols ``int(0.03594771·W) : int(0.96405229·W)``.
- KITTI Eigen crop: rows ``int(0.3324324·H) : int(0.91351351·H)``,
  cols ``int(0.0359477·W) : int(0.96405229·W)``.

The KITTI fractions and the ``int`` truncation are those of BTS / GLPDepth's
``eval`` code; they are applied to the map being evaluated (after the
KB-crop when :class:`KBCrop` is in the test pipeline, as GLPDepth does).
"""
from typing import Optional, Tuple

import numpy as np

__all__ = [
    'nyu_crop_mask', 'garg_crop_mask', 'eigen_crop_mask', 'depth_crop_mask',
    'CROP_TYPES', 'normalize_crop_type'
]

NYU_FRAME = (480, 640)
NYU_BOUNDS = (45, 471, 41, 601)  # top, bottom, left, right on NYU_FRAME

GARG_FRACTIONS = (0.40810811, 0.99189189, 0.03594771, 0.96405229)
EIGEN_FRACTIONS = (0.3324324, 0.91351351, 0.0359477, 0.96405229)

#: accepted ``crop_type`` names -> canonical name (mmseg spells ``nyu_crop``,
#: BTS/GLPDepth ``garg_crop`` / ``eigen_crop``).
CROP_TYPES = {
    'nyu': 'nyu', 'nyu_crop': 'nyu',
    'garg': 'garg', 'garg_crop': 'garg',
    'eigen': 'eigen', 'eigen_crop': 'eigen',
}


def _check_shape(height: int, width: int) -> Tuple[int, int]:
    height, width = int(height), int(width)
    if height <= 0 or width <= 0:
        raise ValueError(f'crop mask: expected a positive (H, W) shape, got '
                         f'({height}, {width})')
    return height, width


def _box_mask(height, width, top, bottom, left, right) -> np.ndarray:
    mask = np.zeros((height, width), dtype=bool)
    mask[top:bottom, left:right] = True
    return mask


def nyu_crop_mask(height: int, width: int) -> np.ndarray:
    """NYUv2 evaluation crop: rows ``45:471``, cols ``41:601`` of a 480x640
    map; for ``(H, W)`` the bounds are ``round(b·H/480)`` (rows) and
    ``round(b·W/640)`` (cols), rounded half up.

    Example:
        >>> m = nyu_crop_mask(480, 640)
        >>> int(m.sum()) == (471 - 45) * (601 - 41)
        True
    """
    height, width = _check_shape(height, width)
    top, bottom, left, right = NYU_BOUNDS
    frame_h, frame_w = NYU_FRAME

    def scale(b, size, frame):
        return (2 * b * size + frame) // (2 * frame)  # round half up

    return _box_mask(height, width, scale(top, height, frame_h),
                     scale(bottom, height, frame_h),
                     scale(left, width, frame_w), scale(right, width, frame_w))


def _fraction_mask(height, width, fractions) -> np.ndarray:
    height, width = _check_shape(height, width)
    top, bottom, left, right = fractions
    return _box_mask(height, width, int(top * height), int(bottom * height),
                     int(left * width), int(right * width))


def garg_crop_mask(height: int, width: int) -> np.ndarray:
    """KITTI Garg crop: rows ``int(0.40810811·H):int(0.99189189·H)``, cols
    ``int(0.03594771·W):int(0.96405229·W)``."""
    return _fraction_mask(height, width, GARG_FRACTIONS)


def eigen_crop_mask(height: int, width: int) -> np.ndarray:
    """KITTI Eigen crop: rows ``int(0.3324324·H):int(0.91351351·H)``, cols
    ``int(0.0359477·W):int(0.96405229·W)``."""
    return _fraction_mask(height, width, EIGEN_FRACTIONS)


def normalize_crop_type(crop_type: Optional[str]) -> Optional[str]:
    """Canonical crop name (``None``, ``'nyu'``, ``'garg'``, ``'eigen'``)."""
    if crop_type is None:
        return None
    if crop_type not in CROP_TYPES:
        raise ValueError(f'crop_type: expected None or one of '
                         f'{sorted(CROP_TYPES)}, got {crop_type!r}')
    return CROP_TYPES[crop_type]


_CROP_FNS = {
    'nyu': nyu_crop_mask,
    'garg': garg_crop_mask,
    'eigen': eigen_crop_mask
}


def depth_crop_mask(crop_type: Optional[str], height: int,
                    width: int) -> np.ndarray:
    """Boolean ``(H, W)`` mask of ``crop_type`` (all ``True`` for ``None``).

    Args:
        crop_type (str, optional): ``None``, ``'nyu'``, ``'garg'``,
            ``'eigen'`` (or the ``*_crop`` spellings).
        height (int): H of the map.
        width (int): W of the map.
    """
    crop_type = normalize_crop_type(crop_type)
    if crop_type is None:
        height, width = _check_shape(height, width)
        return np.ones((height, width), dtype=bool)
    return _CROP_FNS[crop_type](height, width)

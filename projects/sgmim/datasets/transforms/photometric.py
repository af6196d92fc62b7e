"""Photometric jitter of the GLPDepth / dark-secrets depth protocol (mmseg).

The authors' depth code (SwinTransformer/MIM-Depth-Estimation,
``dataset/base_dataset.py`` L29-35, taken from GLPDepth) augments with
albumentations' ``HorizontalFlip(), RandomCrop(h, w),
RandomBrightnessContrast(), RandomGamma(), HueSaturationValue()`` at their
default arguments (each photometric one with p = 0.5), after vertical
CutDepth. The three transforms here reproduce albumentations' uint8
semantics (``augmentations/functional.py`` of albumentations 1.1-1.3:
``_brightness_contrast_adjust_uint``, ``gamma_transform``,
``_shift_hsv_uint8``) without the package, whose
``opencv-python-headless`` clashes with the ``opencv-python`` mmcv needs.

All three use numpy's global RNG (``np.random``), like mmcv/mmseg
transforms: first ``np.random.rand() < prob`` decides, then the parameters
are drawn. Images must be uint8 (H, W, 3) as ``LoadImageFromFile`` gives
them; ``gt_depth_map`` and every other key are left untouched.
"""
from abc import abstractmethod
from typing import Sequence, Tuple, Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

__all__ = [
    'adjust_brightness_contrast', 'adjust_gamma', 'shift_hsv',
    'RandomBrightnessContrast', 'RandomGamma', 'HueSaturationValue'
]

Limit = Union[float, Tuple[float, float]]


def _symmetric_limit(limit: Limit, name: str) -> Tuple[float, float]:
    """albumentations' ``to_tuple``: a scalar ``l`` means ``(-l, l)``."""
    if isinstance(limit, (int, float)):
        lo, hi = -abs(float(limit)), abs(float(limit))
    else:
        if len(limit) != 2:
            raise ValueError(f'{name}: expected a number or a (lo, hi) pair, '
                             f'got {limit!r}')
        lo, hi = float(limit[0]), float(limit[1])
    if lo > hi:
        raise ValueError(f'{name}: lo > hi in {(lo, hi)}')
    return lo, hi


def _check_prob(prob: float) -> float:
    if not 0 <= prob <= 1:
        raise ValueError(f'prob must be in [0, 1], got {prob}')
    return float(prob)


def _check_uint8(img: np.ndarray, name: str, color: bool = False) -> None:
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8:
        raise TypeError(
            f'{name} reproduces albumentations on uint8 images (as '
            'LoadImageFromFile loads them), got '
            f'{getattr(img, "dtype", type(img))}')
    if color and (img.ndim != 3 or img.shape[2] != 3):
        raise ValueError(f'{name} needs a (H, W, 3) colour image, got '
                         f'{img.shape}')


def adjust_brightness_contrast(img: np.ndarray, alpha: float,
                               beta: float) -> np.ndarray:
    """Brightness / contrast of a uint8 image (``brightness_by_max=True``)::

        out = trunc(clip(img · α + β · 255, 0, 255))

    per value, evaluated in float32 (``α`` and ``β · 255`` rounded to float32
    first) and truncated towards zero, i.e. through the 256-entry look-up
    table of albumentations' ``_brightness_contrast_adjust_uint``.

    Args:
        img (np.ndarray): uint8 image of any shape.
        alpha (float): Contrast factor α (1 + U(-c, c) in the transform).
        beta (float): Brightness offset β as a fraction of 255.

    Returns:
        np.ndarray: uint8 image of the same shape.
    """
    _check_uint8(img, 'adjust_brightness_contrast')
    lut = np.arange(256, dtype=np.float32) * np.float32(alpha)
    lut = lut + np.float32(beta * 255)
    lut = np.clip(lut, 0, 255).astype(np.uint8)
    return lut[img]


def adjust_gamma(img: np.ndarray, gamma: float) -> np.ndarray:
    """Gamma of a uint8 image::

        out = trunc(255 · (img · (1/255))^γ)

    per value in float64, truncated towards zero: the look-up table of
    albumentations' ``gamma_transform`` (``np.arange(0, 256/255, 1/255)``
    holds exactly ``i · (1/255)``). Truncation, not rounding: even γ = 1 maps
    24 of the 256 values ``v`` to ``v − 1``, as albumentations does.

    Args:
        img (np.ndarray): uint8 image of any shape.
        gamma (float): Exponent γ > 0.

    Returns:
        np.ndarray: uint8 image of the same shape.
    """
    _check_uint8(img, 'adjust_gamma')
    if gamma <= 0:
        raise ValueError(f'gamma must be > 0, got {gamma}')
    lut = (np.arange(256, dtype=np.float64) * (1.0 / 255))**gamma * 255
    return lut.astype(np.uint8)[img]


def shift_hsv(img: np.ndarray,
              hue_shift: float,
              sat_shift: float,
              val_shift: float,
              channel_order: str = 'bgr') -> np.ndarray:
    """Shift hue, saturation and value of a uint8 colour image in OpenCV's
    uint8 HSV (H in [0, 180), S, V in [0, 255])::

        H' = trunc((H + Δh) mod 180)
        S' = trunc(clip(S + Δs, 0, 255))
        V' = trunc(clip(V + Δv, 0, 255))

    then back to the colour space of the input (albumentations'
    ``_shift_hsv_uint8``, which assumes RGB; ``channel_order='bgr'`` converts
    with ``COLOR_BGR2HSV`` / ``COLOR_HSV2BGR`` and so gives the same result
    on the BGR image). A zero channel shift leaves that channel as is; all
    three zero returns the image unchanged (no HSV round trip).

    Args:
        img (np.ndarray): uint8 (H, W, 3) image.
        hue_shift (float): Δh in OpenCV hue units (2° each).
        sat_shift (float): Δs.
        val_shift (float): Δv.
        channel_order (str): 'bgr' (mmcv loading) or 'rgb'.
            Defaults to 'bgr'.

    Returns:
        np.ndarray: uint8 (H, W, 3) image.
    """
    _check_uint8(img, 'shift_hsv', color=True)
    if channel_order not in ('bgr', 'rgb'):
        raise ValueError(f"channel_order must be 'bgr' or 'rgb', got "
                         f'{channel_order!r}')
    if hue_shift == 0 and sat_shift == 0 and val_shift == 0:
        return img
    if channel_order == 'bgr':
        to_hsv, from_hsv = cv2.COLOR_BGR2HSV, cv2.COLOR_HSV2BGR
    else:
        to_hsv, from_hsv = cv2.COLOR_RGB2HSV, cv2.COLOR_HSV2RGB
    hsv = cv2.cvtColor(img, to_hsv)
    levels = np.arange(256, dtype=np.int16)
    if hue_shift != 0:
        lut = np.mod(levels + hue_shift, 180).astype(np.uint8)
        hsv[..., 0] = lut[hsv[..., 0]]
    for channel, shift in ((1, sat_shift), (2, val_shift)):
        if shift != 0:
            lut = np.clip(levels + shift, 0, 255).astype(np.uint8)
            hsv[..., channel] = lut[hsv[..., channel]]
    return cv2.cvtColor(hsv, from_hsv)


class _RandomPhotometric(BaseTransform):
    """``prob`` draw, parameter draw and bookkeeping shared by the three
    transforms; subclasses define ``_draw`` and ``_apply``, the result key
    ``key`` that records the drawn parameters (None when not applied) and
    whether they need a colour image (``needs_color``)."""

    key = ''
    needs_color = False

    def __init__(self, prob: float):
        self.prob = _check_prob(prob)

    @abstractmethod
    def _draw(self):
        """The transform's random parameters."""

    @abstractmethod
    def _apply(self, img: np.ndarray, params) -> np.ndarray:
        """``img`` transformed with ``params``."""

    def transform(self, results: dict) -> dict:
        img = results['img']
        _check_uint8(img, self.__class__.__name__, color=self.needs_color)
        params = self._draw() if np.random.rand() < self.prob else None
        results[self.key] = params
        if params is not None:
            results['img'] = self._apply(img, params)
        return results


@TRANSFORMS.register_module()
class RandomBrightnessContrast(_RandomPhotometric):
    """albumentations' ``RandomBrightnessContrast`` for uint8 images.

    With probability ``prob``::

        α = 1 + U(contrast_limit),   β = U(brightness_limit)
        img ← trunc(clip(img · α + β · 255, 0, 255))

    (:func:`adjust_brightness_contrast`; albumentations' default
    ``brightness_by_max=True``, the only mode here).

    **Required keys:** ``img`` uint8. **Modified keys:** ``img``.
    **Added keys:** ``brightness_contrast`` = ``(α, β)`` or None.

    Args:
        brightness_limit (float | tuple[float, float]): Range of β; a scalar
            ``b`` is ``(-b, b)``. Defaults to 0.2.
        contrast_limit (float | tuple[float, float]): Range of α − 1; a
            scalar ``c`` is ``(-c, c)``. Defaults to 0.2.
        prob (float): Probability of applying. Defaults to 0.5.
    """

    key = 'brightness_contrast'

    def __init__(self,
                 brightness_limit: Limit = 0.2,
                 contrast_limit: Limit = 0.2,
                 prob: float = 0.5):
        super().__init__(prob)
        self.brightness_limit = _symmetric_limit(brightness_limit,
                                                 'brightness_limit')
        self.contrast_limit = _symmetric_limit(contrast_limit,
                                               'contrast_limit')

    def _draw(self) -> Tuple[float, float]:
        alpha = 1.0 + float(np.random.uniform(*self.contrast_limit))
        beta = float(np.random.uniform(*self.brightness_limit))
        return alpha, beta

    def _apply(self, img, params):
        return adjust_brightness_contrast(img, *params)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(brightness_limit='
                f'{self.brightness_limit}, contrast_limit='
                f'{self.contrast_limit}, prob={self.prob})')


@TRANSFORMS.register_module()
class RandomGamma(_RandomPhotometric):
    """albumentations' ``RandomGamma`` for uint8 images.

    With probability ``prob``::

        γ = U(gamma_limit) / 100          (gamma_sampling='uniform')
        γ = U{lo, lo + 1, …, hi} / 100    (gamma_sampling='integer')
        img ← trunc(255 · (img / 255)^γ)

    (:func:`adjust_gamma`). albumentations ≥ 1.3 draws γ uniformly; 1.1 and
    1.2 (current when the paper's experiments ran; the authors' code asks
    for ``albumentations>=1.1.0``) drew an integer percentage with
    ``random.randint``. Both are offered; the difference is immaterial for
    training.

    **Required keys:** ``img`` uint8. **Modified keys:** ``img``.
    **Added keys:** ``gamma`` = γ or None.

    Args:
        gamma_limit (tuple[float, float]): Range of 100·γ, ``0 < lo <= hi``.
            Defaults to (80, 120).
        gamma_sampling (str): 'uniform' or 'integer'. Defaults to 'uniform'.
        prob (float): Probability of applying. Defaults to 0.5.
    """

    key = 'gamma'

    def __init__(self,
                 gamma_limit: Sequence[float] = (80, 120),
                 gamma_sampling: str = 'uniform',
                 prob: float = 0.5):
        super().__init__(prob)
        if isinstance(gamma_limit, (int, float)) or len(gamma_limit) != 2:
            raise ValueError('gamma_limit must be a (lo, hi) pair of '
                             f'percentages, got {gamma_limit!r}')
        lo, hi = float(gamma_limit[0]), float(gamma_limit[1])
        if not 0 < lo <= hi:
            raise ValueError(f'gamma_limit must satisfy 0 < lo <= hi, got '
                             f'{gamma_limit!r}')
        if gamma_sampling not in ('uniform', 'integer'):
            raise ValueError("gamma_sampling must be 'uniform' or 'integer', "
                             f'got {gamma_sampling!r}')
        if gamma_sampling == 'integer' and not (lo.is_integer()
                                                and hi.is_integer()):
            raise ValueError("gamma_sampling='integer' needs integer "
                             f'gamma_limit, got {gamma_limit!r}')
        self.gamma_limit = (lo, hi)
        self.gamma_sampling = gamma_sampling

    def _draw(self) -> float:
        lo, hi = self.gamma_limit
        if self.gamma_sampling == 'integer':
            return int(np.random.randint(int(lo), int(hi) + 1)) / 100.0
        return float(np.random.uniform(lo, hi)) / 100.0

    def _apply(self, img, gamma):
        return adjust_gamma(img, gamma)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(gamma_limit={self.gamma_limit}, '
                f'gamma_sampling={self.gamma_sampling!r}, prob={self.prob})')


@TRANSFORMS.register_module()
class HueSaturationValue(_RandomPhotometric):
    """albumentations' ``HueSaturationValue`` for uint8 colour images.

    With probability ``prob``::

        Δh = U(hue_shift_limit), Δs = U(sat_shift_limit),
        Δv = U(val_shift_limit)
        img ← HSV⁻¹(trunc((H + Δh) mod 180), trunc(clip(S + Δs, 0, 255)),
                    trunc(clip(V + Δv, 0, 255)))

    in OpenCV's uint8 HSV (:func:`shift_hsv`). Images loaded by mmcv are
    BGR: ``channel_order='bgr'`` converts with ``COLOR_BGR2HSV`` /
    ``COLOR_HSV2BGR``, which gives exactly albumentations' result on the RGB
    image the authors' code feeds it.

    **Required keys:** ``img`` uint8 (H, W, 3). **Modified keys:** ``img``.
    **Added keys:** ``hsv_shift`` = ``(Δh, Δs, Δv)`` or None.

    Args:
        hue_shift_limit (float | tuple[float, float]): Range of Δh (OpenCV
            hue units, 2° each); a scalar ``l`` is ``(-l, l)``.
            Defaults to 20.
        sat_shift_limit (float | tuple[float, float]): Range of Δs.
            Defaults to 30.
        val_shift_limit (float | tuple[float, float]): Range of Δv.
            Defaults to 20.
        channel_order (str): 'bgr' or 'rgb'. Defaults to 'bgr'.
        prob (float): Probability of applying. Defaults to 0.5.
    """

    key = 'hsv_shift'
    needs_color = True

    def __init__(self,
                 hue_shift_limit: Limit = 20,
                 sat_shift_limit: Limit = 30,
                 val_shift_limit: Limit = 20,
                 channel_order: str = 'bgr',
                 prob: float = 0.5):
        super().__init__(prob)
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"channel_order must be 'bgr' or 'rgb', got "
                             f'{channel_order!r}')
        self.hue_shift_limit = _symmetric_limit(hue_shift_limit,
                                                'hue_shift_limit')
        self.sat_shift_limit = _symmetric_limit(sat_shift_limit,
                                                'sat_shift_limit')
        self.val_shift_limit = _symmetric_limit(val_shift_limit,
                                                'val_shift_limit')
        self.channel_order = channel_order

    def _draw(self) -> Tuple[float, float, float]:
        return tuple(
            float(np.random.uniform(*limit))
            for limit in (self.hue_shift_limit, self.sat_shift_limit,
                          self.val_shift_limit))

    def _apply(self, img, params):
        return shift_hsv(img, *params, channel_order=self.channel_order)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(hue_shift_limit='
                f'{self.hue_shift_limit}, sat_shift_limit='
                f'{self.sat_shift_limit}, val_shift_limit='
                f'{self.val_shift_limit}, channel_order='
                f'{self.channel_order!r}, prob={self.prob})')

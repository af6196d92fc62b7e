"""Colour jitter whose hue shift works with NumPy 2."""
from typing import Dict

import mmcv
import numpy as np
from mmpretrain.datasets.transforms import ColorJitter
from mmpretrain.registry import TRANSFORMS
from PIL import Image

__all__ = ['SafeHueColorJitter', 'adjust_hue']


def adjust_hue(img: np.ndarray, hue_factor: float) -> np.ndarray:
    """torchvision's PIL ``adjust_hue`` on a BGR uint8 image: in HSV, the
    hue channel H (uint8, a full turn = 256) becomes
    ``(H + int(hue_factor·255)) mod 256``; S and V are unchanged.

    Args:
        img (np.ndarray): (H, W, 3) uint8, BGR.
        hue_factor (float): In [-0.5, 0.5].

    Returns:
        np.ndarray: The shifted image, (H, W, 3) uint8 BGR.
    """
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'hue_factor {hue_factor} is not in [-0.5, 0.5]')
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise TypeError(f'adjust_hue expects a (H, W, 3) uint8 image, got '
                        f'{img.dtype} of shape {img.shape}')
    h, s, v = Image.fromarray(img[..., ::-1].copy(), 'RGB').convert(
        'HSV').split()
    shifted = np.array(h, dtype=np.uint8)
    # the wrap-around is intended: hue is an angle
    shifted += np.int32(hue_factor * 255).astype(np.uint8)
    out = Image.merge('HSV', (Image.fromarray(shifted, 'L'), s, v))
    return np.ascontiguousarray(np.array(out.convert('RGB'))[..., ::-1])


@TRANSFORMS.register_module()
class SafeHueColorJitter(ColorJitter):
    """mmpretrain's ``ColorJitter`` (torchvision's: brightness, contrast,
    saturation and hue factors drawn uniformly, applied in a random order)
    with the hue step of :func:`adjust_hue`.

    Why: mmcv 2.1.0's ``adjust_hue`` computes ``np.uint8(hue_factor·255)``,
    which NumPy 2 refuses for a negative factor (``OverflowError``), so
    mmpretrain's ``ColorJitter(hue=h)`` fails on about half of the images.

    **Required Keys:** img (uint8 BGR). **Modified Keys:** img.

    Args:
        brightness (float | Sequence[float]): Factor range
            ``[max(0, 1 − b), 1 + b]`` or (min, max). Defaults to 0.
        contrast (float | Sequence[float]): As brightness. Defaults to 0.
        saturation (float | Sequence[float]): As brightness. Defaults to 0.
        hue (float | Sequence[float]): Shift range ``[−h, h]`` (h ≤ 0.5) or
            (min, max). Defaults to 0.
        backend (str): Backend of the brightness, contrast and saturation
            steps ('pillow' or 'cv2'). Defaults to 'pillow'.
    """

    def transform(self, results: Dict) -> Dict:
        img = results['img']
        order, brightness, contrast, saturation, hue = self._rand_params()
        for index in order:
            if index == 0 and brightness is not None:
                img = mmcv.adjust_brightness(
                    img, brightness, backend=self.backend)
            elif index == 1 and contrast is not None:
                img = mmcv.adjust_contrast(img, contrast, backend=self.backend)
            elif index == 2 and saturation is not None:
                img = mmcv.adjust_color(
                    img, alpha=saturation, backend=self.backend)
            elif index == 3 and hue is not None:
                img = adjust_hue(img, hue)
        results['img'] = img
        return results

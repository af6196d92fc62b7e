"""Vertical CutDepth (Kim et al. 2022, as used by GLPDepth) for mmseg."""
from typing import Optional, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

__all__ = ['VerticalCutDepth']


@TRANSFORMS.register_module()
class VerticalCutDepth(BaseTransform):
    """Replace a random full-height vertical strip of the image by the depth.

    With probability ``prob``: draw a strip width
    ``w_s = max(1, round(u · W))``, ``u ~ U(strip_width_range)``, and a left
    column ``x0 ~ U{0, …, W − w_s}``; then for all rows and
    ``x0 ≤ x < x0 + w_s``, every channel c::

        img[:, x, c] = clip(depth[:, x] / max_depth, 0, 1) · img_max

    (``img_max = 255``: the range of the loaded image; rounded for integer
    images; invalid depth 0 gives 0). ``results['cutdepth_strip']`` is set
    to ``(x0, x0 + w_s)`` or None when nothing was replaced.

    mmseg's ``RandomDepthMix`` draws the same kind of strip (GLPDepth's
    ``x0 = ⌊αW⌋``, ``w_s = ⌊(W − x0)·0.75·β⌋``) but pastes the depth in the
    annotation's raw units (``gt_depth_map / depth_rescale_factor``, e.g.
    millimetres for NYU PNGs) without scaling it to the image range, and its
    strip width is coupled to its position; hence this transform.

    **Required keys:** ``img`` (H, W, C) or (H, W), ``gt_depth_map`` (H, W)
    or (H, W, 1) metric depth. **Modified keys:** ``img``. **Added keys:**
    ``cutdepth_strip``.

    Args:
        prob (float): Probability of applying. Defaults to 0.25.
        max_depth (float): Depth mapped to ``img_max``. Defaults to 10.
        strip_width_range (tuple[float, float]): Range of the strip width as
            a fraction of W, ``0 < lo <= hi <= 1``. Defaults to (0.05, 0.75).
        img_max (float): Image value of ``max_depth``. Defaults to 255.
    """

    def __init__(self,
                 prob: float = 0.25,
                 max_depth: float = 10.,
                 strip_width_range: Tuple[float, float] = (0.05, 0.75),
                 img_max: float = 255.):
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        if max_depth <= 0:
            raise ValueError(f'max_depth must be > 0, got {max_depth}')
        lo, hi = strip_width_range
        if not 0 < lo <= hi <= 1:
            raise ValueError('strip_width_range must satisfy 0 < lo <= hi <= '
                             f'1 (fractions of the width), got '
                             f'{strip_width_range}')
        self.prob = prob
        self.max_depth = float(max_depth)
        self.strip_width_range = (float(lo), float(hi))
        self.img_max = float(img_max)

    def _draw_strip(self, width: int) -> Optional[Tuple[int, int]]:
        if np.random.rand() >= self.prob:
            return None
        frac = np.random.uniform(*self.strip_width_range)
        strip = int(min(width, max(1, round(frac * width))))
        x0 = int(np.random.randint(0, width - strip + 1))
        return x0, x0 + strip

    def transform(self, results: dict) -> dict:
        img, depth = results['img'], results['gt_depth_map']
        if depth.ndim == 3 and depth.shape[2] == 1:
            depth = depth[..., 0]
        if img.ndim not in (2, 3) or depth.ndim != 2 or \
                depth.shape != img.shape[:2]:
            raise ValueError(
                'VerticalCutDepth needs img (H, W[, C]) and gt_depth_map '
                f'(H, W[, 1]) of the same H, W; got {img.shape} and '
                f'{results["gt_depth_map"].shape}')
        strip = self._draw_strip(img.shape[1])
        results['cutdepth_strip'] = strip
        if strip is None:
            return results
        x0, x1 = strip
        values = np.clip(depth[:, x0:x1] / self.max_depth, 0, 1) * self.img_max
        if np.issubdtype(img.dtype, np.integer):
            values = np.rint(values)
        img = img.copy()
        if img.ndim == 3:
            values = values[..., None]
        img[:, x0:x1] = values.astype(img.dtype)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, max_depth='
                f'{self.max_depth}, strip_width_range='
                f'{self.strip_width_range}, img_max={self.img_max})')

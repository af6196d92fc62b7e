"""Depth estimator with working sliding-window and flip test-time inference.

mmseg 1.2.2's ``DepthEstimator.inference`` runs whole-image inference for
``mode='slide'`` (an ``if``/``if``-``else`` fall-through) and its
``slide_flip`` silently shrinks windows larger than the image (this class
shrinks them too, but says so).
"""
import logging
from typing import List, Optional, Tuple

from mmengine.config import ConfigDict
from mmengine.logging import print_log
from mmseg.models.segmentors import DepthEstimator
from mmseg.registry import MODELS
from torch import Tensor

__all__ = ['SlidingDepthEstimator', 'window_origins']

MODES = ('whole', 'slide', 'slide_flip')


def window_origins(size: int, crop: int, stride: int) -> List[int]:
    """Start offsets of windows of length ``crop`` stepping by ``stride``
    over ``size`` pixels; the last window is moved back to end at ``size``
    (mmseg's grid): ``n = ceil((size − crop) / stride) + 1`` windows at
    ``min(i·stride, size − crop)``.
    """
    if crop > size:
        raise ValueError(f'window of {crop} px is larger than the image '
                         f'({size} px)')
    n = -(-(size - crop) // stride) + 1
    return [min(i * stride, size - crop) for i in range(n)]


def even_origins(size: int, crop: int, num: int) -> List[int]:
    """``num`` windows of length ``crop`` evenly spaced over ``size``: the
    first starts at 0, the last ends at ``size``, origins
    ``round(k·(size − crop)/(num − 1))``; windows that coincide (rounding,
    ``crop == size``) are listed once."""
    if crop > size:
        raise ValueError(f'window of {crop} px is larger than the image '
                         f'({size} px)')
    if num * crop < size:
        raise ValueError(f'{num} window(s) of {crop} px cannot cover {size} '
                         f'px; use num_windows >= {-(-size // crop)}')
    if num == 1:
        return [0]
    return sorted({round(k * (size - crop) / (num - 1)) for k in range(num)})


def image_names(batch_img_metas: List[dict]) -> str:
    """``'image PATH'`` (``'images P1, P2'``) of a batch, for errors."""
    paths = [str(meta.get('img_path', '<unnamed>'))
             for meta in batch_img_metas]
    return ('image ' if len(paths) == 1 else 'images ') + ', '.join(paths)


@MODELS.register_module()
class SlidingDepthEstimator(DepthEstimator):
    """mmseg ``DepthEstimator`` with real sliding-window and flip TTA.

    ``test_cfg`` keys:

    - ``mode``: ``'whole'`` (default) | ``'slide'`` | ``'slide_flip'``
      (= ``'slide'`` with ``flip=True``, mmseg's name).
    - ``crop_size=(h, w)``, ``stride=(sh, sw)``: window grid of ``'slide'``
      (mmseg's: the last window of each row/column ends at the border).
    - ``num_windows=K``: instead of ``crop_size``/``stride`` (and taking
      precedence over them): K square windows of side H (the input height)
      evenly spaced over the width, the first at the left and the last at
      the right border (REFERENCE §5: K = 2 for NYU 480×640, 16 for KITTI
      352×1216).
    - ``flip``: also run the horizontally flipped input and average
      ``D = (S(x) + flip(S(flip(x)))) / 2`` where S is the whole or
      sliding inference. Defaults to False.

    Sliding inference: every window's depth (resized by the head to the
    window) is summed into the canvas and divided by the count map
    ``C(p) = #windows containing p``: ``D(p) = Σ_w D_w(p) / C(p)``.

    A window larger than the input along a side is *shrunk* to the input on
    that side (as mmseg's sliding inference does), never padded: no pixel
    the model sees is invented. Logged once per estimator. With
    ``num_windows`` on a portrait input (W < H) the one window is then the
    whole input.

    Errors (``K < 1``, too few windows to cover the width, a head output of
    the wrong size) name the batch's images (``img_path`` of the metainfo).
    Other arguments are ``DepthEstimator``'s.
    """

    def __init__(self, *args, test_cfg: Optional[dict] = None, **kwargs):
        test_cfg = ConfigDict(
            dict(mode='whole') if test_cfg is None else test_cfg)
        self._check_test_cfg(test_cfg)
        super().__init__(*args, test_cfg=test_cfg, **kwargs)
        self._shrink_logged = False

    @staticmethod
    def _check_test_cfg(cfg: dict) -> None:
        mode = cfg.get('mode', 'whole')
        if mode not in MODES:
            raise ValueError(f'test_cfg.mode must be one of {MODES}, got '
                             f'{mode!r}')
        if mode == 'whole':
            return
        num = cfg.get('num_windows')
        if num is not None:
            if isinstance(num, bool) or not isinstance(num, int) or num < 1:
                raise ValueError('test_cfg.num_windows must be an int >= 1, '
                                 f'got {num!r}')
            return
        for key in ('crop_size', 'stride'):
            value = cfg.get(key)
            if (value is None or len(value) != 2
                    or any(int(v) != v or v < 1 for v in value)):
                raise ValueError(
                    f"test_cfg.mode='{mode}' needs num_windows or "
                    f'crop_size and stride as 2 positive ints, got {key}='
                    f'{value!r}')

    def _window_size(self, h: int, w: int) -> Tuple[int, int]:
        """The configured window on an h × w input, shrunk to the input
        where it is larger (logged once)."""
        cfg = self.test_cfg
        size = ((h, h) if cfg.get('num_windows') is not None else tuple(
            cfg['crop_size']))
        shrunk = (min(size[0], h), min(size[1], w))
        if shrunk != size and not self._shrink_logged:
            print_log(
                f'{type(self).__name__}: window {size} (h, w) is larger '
                f'than the input ({h}, {w}); shrinking it to {shrunk} '
                '(logged once per estimator)',
                logger='current',
                level=logging.WARNING)
            self._shrink_logged = True
        return shrunk

    def _windows(self, h: int, w: int, batch_img_metas: List[dict]
                 ) -> List[Tuple[int, int, int, int]]:
        """(y1, y2, x1, x2) of every window on an h × w input."""
        cfg = self.test_cfg
        h_crop, w_crop = self._window_size(h, w)
        try:
            if cfg.get('num_windows') is not None:
                ys, xs = [0], even_origins(w, w_crop, cfg['num_windows'])
            else:
                h_stride, w_stride = cfg['stride']
                ys = window_origins(h, h_crop, h_stride)
                xs = window_origins(w, w_crop, w_stride)
        except ValueError as error:
            raise ValueError(
                f'{image_names(batch_img_metas)}: {error}') from None
        return [(y, y + h_crop, x, x + w_crop) for y in ys for x in xs]

    def slide_inference(self, inputs: Tensor,
                        batch_img_metas: List[dict]) -> Tensor:
        """Average of the window predictions by the count map (see class
        docstring). Returns (N, 1, H, W) depth."""
        n, _, h, w = inputs.shape
        preds = inputs.new_zeros((n, self.out_channels, h, w))
        count = inputs.new_zeros((1, 1, h, w))
        for y1, y2, x1, x2 in self._windows(h, w, batch_img_metas):
            crop = inputs[:, :, y1:y2, x1:x2]
            metas = [
                dict(meta, img_shape=(y2 - y1, x2 - x1),
                     pad_shape=(y2 - y1, x2 - x1))
                for meta in batch_img_metas
            ]
            depth = self.encode_decode(crop, metas)
            if depth.shape[2:] != crop.shape[2:]:
                raise RuntimeError(
                    f'{image_names(batch_img_metas)}: head returned '
                    f'{tuple(depth.shape[2:])} for a window of '
                    f'{tuple(crop.shape[2:])}')
            preds[:, :, y1:y2, x1:x2] += depth
            count[:, :, y1:y2, x1:x2] += 1
        if (count == 0).any():
            raise RuntimeError(f'{image_names(batch_img_metas)}: sliding '
                               'windows leave pixels uncovered; check '
                               'test_cfg crop_size / stride')
        return preds / count

    def _single_pass(self, inputs: Tensor,
                     batch_img_metas: List[dict]) -> Tensor:
        if self.test_cfg.get('mode', 'whole') == 'whole':
            return self.whole_inference(inputs, batch_img_metas)
        return self.slide_inference(inputs, batch_img_metas)

    def inference(self, inputs: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Whole or sliding inference, averaged with the flipped pass when
        ``test_cfg.flip`` (or ``mode='slide_flip'``). Returns (N, 1, H, W)."""
        ori_shape = batch_img_metas[0]['ori_shape']
        if not all(m['ori_shape'] == ori_shape for m in batch_img_metas):
            print_log(
                'Image shapes are different in the batch.',
                logger='current',
                level=logging.WARN)
        depth = self._single_pass(inputs, batch_img_metas)
        if self.test_cfg.get('flip', False) or \
                self.test_cfg.get('mode') == 'slide_flip':
            flipped = self._single_pass(inputs.flip(3), batch_img_metas)
            depth = (depth + flipped.flip(3)) / 2
        return depth

"""KITTI benchmark (KB) crop for depth estimation in mmseg pipelines."""
from typing import Dict

from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

__all__ = ['KBCrop']


@TRANSFORMS.register_module()
class KBCrop(BaseTransform):
    """Bottom-centred crop of the KITTI depth benchmark (BTS / GLPDepth).

    For an ``H x W`` image and a ``height x width`` crop::

        top  = H - height
        left = (W - width) // 2
        out  = x[top:top + height, left:left + width]

    applied to ``img`` and to every map in ``seg_fields`` (e.g.
    ``gt_depth_map`` from ``LoadDepthAnnotation``), so that on the raw
    375x1242 KITTI frames the default 352x1216 crop is rows 23:375,
    cols 13:1229.  Synthetic (smaller) KITTI-layout data uses
    proportionally smaller ``height``/``width``.

    mmseg's ``DepthEstimator`` resizes each prediction to ``ori_shape``;
    with ``update_ori_shape=True`` (default) ``ori_shape`` becomes the crop
    so predictions and the cropped ground truth align for the metric (the
    GLPDepth protocol: the Garg / Eigen crop is then taken on the KB-cropped
    map).

    **Required Keys:** ``img``; optional ``seg_fields`` maps.

    **Modified Keys:** ``img``, ``img_shape``, the ``seg_fields`` maps,
    ``ori_shape`` (if ``update_ori_shape``).

    **Added Keys:** ``kb_crop_bbox`` = ``(top, left, bottom, right)`` in the
    uncropped image.

    Args:
        height (int): Crop height. Defaults to 352.
        width (int): Crop width. Defaults to 1216.
        update_ori_shape (bool): Set ``ori_shape`` to the crop's shape.
            Defaults to True.
    """

    def __init__(self,
                 height: int = 352,
                 width: int = 1216,
                 update_ori_shape: bool = True) -> None:
        if not (isinstance(height, int) and isinstance(width, int)
                and height > 0 and width > 0):
            raise ValueError(f'KBCrop: expected positive integer height and '
                             f'width, got height={height!r}, width={width!r}')
        self.height = height
        self.width = width
        self.update_ori_shape = update_ori_shape

    def transform(self, results: Dict) -> Dict:
        img = results['img']
        img_h, img_w = img.shape[:2]
        if img_h < self.height or img_w < self.width:
            raise ValueError(
                f'KBCrop: image {results.get("img_path", "")} of shape '
                f'(H, W) = ({img_h}, {img_w}) is smaller than the '
                f'{self.height}x{self.width} crop; pass smaller height/width '
                'for resized or synthetic data')
        top = img_h - self.height
        left = (img_w - self.width) // 2
        bottom, right = top + self.height, left + self.width
        results['img'] = img[top:bottom, left:right, ...]
        for key in results.get('seg_fields', []):
            value = results[key]
            if value.shape[:2] != (img_h, img_w):
                raise ValueError(
                    f'KBCrop: {key} of shape {tuple(value.shape)} does not '
                    f'match the image (H, W) = ({img_h}, {img_w}) of '
                    f'{results.get("img_path", "")}')
            results[key] = value[top:bottom, left:right, ...]
        results['img_shape'] = results['img'].shape[:2]
        if self.update_ori_shape:
            results['ori_shape'] = results['img'].shape[:2]
        results['kb_crop_bbox'] = (top, left, bottom, right)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(height={self.height}, '
                f'width={self.width}, '
                f'update_ori_shape={self.update_ori_shape})')

"""Loading of an iBims-1 image with its depth and evaluation annotations."""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from ..ibims_files import (IBIMS_PLANE_TYPES, read_ibims_mat,
                           read_ibims_raw)

__all__ = ['LoadIBimsSample']


@TRANSFORMS.register_module()
class LoadIBimsSample(BaseTransform):
    """Load an :class:`~sgmim.datasets.IBimsDataset` sample: the image, the
    depth and everything :class:`~sgmim.evaluation.IBimsMetric` needs.

    Replaces ``LoadImageFromFile`` + ``LoadDepthAnnotation`` in the test
    pipeline (a ``.mat`` holds both); pack with
    ``PackSegInputs(meta_keys=(..., 'ibims_gt'))``.

    **Required Keys:** ``ibims_format`` (``'mat'``: ``img_path`` is the
    ``.mat`` file; ``'png'``: ``ibims_paths``).

    **Added Keys:** ``img`` (uint8 BGR, as ``LoadImageFromFile``),
    ``img_shape``, ``ori_shape``, ``gt_depth_map`` (float32 metres, 0 = no
    measurement; appended to ``seg_fields``), ``focal_length`` (fx) and
    ``ibims_gt``: ``dict(mask=mask_invalid ∧ mask_transp (bool),
    edges=bool map or None, calib=(fx, fy, cx, cy), planes={type:
    dict(labels=int32 map, normals=(n, 3))})``.

    A ``.mat`` lacking a field, or a bad field, raises
    :class:`~sgmim.datasets.IBimsFileError` naming the file and the field.

    Args:
        plane_types (tuple): Plane types read (and required in a
            ``.mat``). Defaults to ('wall', 'table', 'floor').
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.
    """

    def __init__(self, plane_types=IBIMS_PLANE_TYPES,
                 backend_args: Optional[dict] = None) -> None:
        unknown = set(plane_types) - set(IBIMS_PLANE_TYPES)
        if unknown:
            raise ValueError(f'LoadIBimsSample: plane_types: unknown '
                             f'{sorted(unknown)}, expected some of '
                             f'{IBIMS_PLANE_TYPES}')
        self.plane_types = tuple(plane_types)
        self.backend_args = None if backend_args is None else dict(
            backend_args)

    def transform(self, results: dict) -> dict:
        """Read the sample's files into ``results``."""
        data_format = results.get('ibims_format')
        if data_format == 'mat':
            sample = read_ibims_mat(results['img_path'], self.backend_args,
                                    self.plane_types)
        elif data_format == 'png':
            sample = read_ibims_raw(results['ibims_paths'],
                                    self.backend_args, self.plane_types)
        else:
            raise KeyError(
                f'LoadIBimsSample: {results.get("img_path")}: ibims_format '
                f'must be "mat" or "png", got {data_format!r} (use '
                'IBimsDataset)')
        img = np.ascontiguousarray(sample.rgb[..., ::-1])
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        results['gt_depth_map'] = sample.depth
        results.setdefault('seg_fields', []).append('gt_depth_map')
        results['focal_length'] = sample.calib[0]
        results['ibims_gt'] = dict(
            mask=sample.mask_invalid & sample.mask_transp,
            edges=sample.edges,
            calib=sample.calib,
            planes={kind: dict(labels=p.labels, normals=p.normals)
                    for kind, p in sample.planes.items()})
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(plane_types={self.plane_types}, '
                f'backend_args={self.backend_args})')

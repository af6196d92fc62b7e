"""The iBims-1 evaluation (Koch et al., official script v0.9) as an mmseg
metric: standard errors, DDE, DBE, PE and errors in distance bins."""
import math
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmseg.registry import METRICS
from ...datasets.ibims_files import IBIMS_PLANE_TYPES
from .depth_metric import (DEPTH_METRICS, SILOG_CONVENTIONS, _as_map, _get,
                           compute_depth_metrics)
from .ibims_boundary import (DBE_MAX_DISTANCE, DBE_SIGMA, DBE_THRESHOLDS,
                             depth_boundary_errors)
from .ibims_functions import (DISTANCE_BIN_METRICS, directed_depth_errors,
                              distance_bin_errors, ibims_valid_mask)
from .ibims_planarity import planarity_errors

__all__ = ['IBimsMetric', 'distance_bin_name']


def distance_bin_name(metric: str, low: float, high: float) -> str:
    """Result key of a distance bin: ``'abs_rel_0-1m'``."""
    return f'{metric}_{low:g}-{high:g}m'


def _array(value, name: str, where: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if value is None:
        raise KeyError(f'IBimsMetric: {where}: ibims_gt has no {name!r}')
    return np.asarray(value)


def _mean(values: List[float]) -> Optional[float]:
    return float(np.mean(values)) if values else None


@METRICS.register_module()
class IBimsMetric(BaseMetric):
    """iBims-1 depth evaluation, without scaling the prediction.

    Per image, on ``V = mask_transp ∧ mask_invalid ∧ (g ≠ 0) ∧ (p ≠ 0)``
    (:func:`~.ibims_functions.ibims_valid_mask`):

    - the standard errors of :func:`~.depth_metric.compute_depth_metrics`
      (``depth_metrics``; no evaluation crop);
    - DDE at ``dde_threshold`` (``dde_0`` correct, ``dde_m`` too close,
      ``dde_p`` too far; :func:`~.ibims_functions.directed_depth_errors`);
    - DBE ``dbe_acc``, ``dbe_comp`` (:mod:`.ibims_boundary`: the official
      v0.9 truncated completeness) of the whole prediction against the
      ground-truth edges, for images that have edges;
    - PE ``pe_plan`` (cm), ``pe_orient`` (degrees) of every labelled plane
      with at least ``min_plane_fraction · H·W`` valid pixels
      (:mod:`.ibims_planarity`);
    - with ``distance_bins``, ``abs_rel``, ``rmse``, ``log10`` of the
      pixels whose ground truth lies in each bin (keys
      ``'abs_rel_0-1m'``, ...; :func:`~.ibims_functions.distance_bin_errors`).

    Reported: the mean over images of the per-image standard errors, DDE,
    DBE and bin errors (images without edges / without pixels in a bin do
    not count), and the mean over all planes of all images of PE, as the
    official script's ``nanmean``. A value with nothing to average (no
    ground-truth edge, no plane large enough, an empty bin) is left out of
    the results and the log says so; nothing is NaN.

    Each data sample needs ``pred_depth_map``, ``gt_depth_map`` (metres,
    0 = no measurement) and ``ibims_gt`` -- the dict that
    :class:`~sgmim.datasets.LoadIBimsSample` writes, packed through
    ``PackSegInputs(meta_keys=(..., 'ibims_gt'))``: ``mask`` (bool,
    ``mask_invalid ∧ mask_transp``), ``edges`` (bool or None), ``calib``
    ``(fx, fy, cx, cy)`` and ``planes`` (type -> ``dict(labels=(H, W) int,
    normals=(n, 3))``). All maps must be the size of ``pred_depth_map``
    (mmseg's ``DepthEstimator`` resizes predictions to ``ori_shape``).

    Args:
        depth_metrics (Sequence[str], optional): Standard errors to report,
            from ``DEPTH_METRICS``. Defaults to None (all).
        min_depth_eval (float): ``min_depth`` of ``compute_depth_metrics``
            (predictions are clamped up to it before logs; the official
            script takes no clamp). Defaults to 1e-6, so that every
            non-zero ground truth counts.
        max_depth_eval (float): Ground truth at or beyond it is not
            evaluated by the standard errors. Defaults to inf (iBims-1:
            no cap).
        silog_convention (str): See ``compute_depth_metrics``.
            Defaults to 'bts'.
        dde_threshold (float): DDE distance (m). Defaults to 3.0.
        dbe_max_distance (float): DBE θ (px). Defaults to 10.
        canny_sigma (float): Defaults to √2.
        canny_thresholds (tuple): Defaults to (0.15, 0.3).
        min_plane_fraction (float): Defaults to 0.05.
        plane_types (Sequence[str]): Plane types evaluated.
            Defaults to ('wall', 'table', 'floor').
        distance_bins (Sequence[float], optional): Bin edges in metres;
            None reports no bins. Defaults to ``range(0, 21)`` (the
            official 1 m bins to 20 m).
        collect_device (str): Defaults to 'cpu'.
        prefix (str, optional): Defaults to None.
    """

    def __init__(self,
                 depth_metrics: Optional[Sequence[str]] = None,
                 min_depth_eval: float = 1e-6,
                 max_depth_eval: float = float('inf'),
                 silog_convention: str = 'bts',
                 dde_threshold: float = 3.0,
                 dbe_max_distance: float = DBE_MAX_DISTANCE,
                 canny_sigma: float = DBE_SIGMA,
                 canny_thresholds: Sequence[float] = DBE_THRESHOLDS,
                 min_plane_fraction: float = 0.05,
                 plane_types: Sequence[str] = IBIMS_PLANE_TYPES,
                 distance_bins: Optional[Sequence[float]] = tuple(
                     range(0, 21)),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if depth_metrics is None:
            depth_metrics = DEPTH_METRICS
        if isinstance(depth_metrics, str):
            depth_metrics = [depth_metrics]
        unknown = [m for m in depth_metrics if m not in DEPTH_METRICS]
        if unknown:
            raise ValueError(f'IBimsMetric: depth_metrics: unsupported '
                             f'{unknown}; choose from {DEPTH_METRICS}')
        if not 0 < min_depth_eval < max_depth_eval:
            raise ValueError(
                'IBimsMetric: expected 0 < min_depth_eval < max_depth_eval, '
                f'got {min_depth_eval}, {max_depth_eval}')
        if silog_convention not in SILOG_CONVENTIONS:
            raise ValueError(f'IBimsMetric: silog_convention: expected one '
                             f'of {SILOG_CONVENTIONS}, got '
                             f'{silog_convention!r}')
        low, high = (float(t) for t in canny_thresholds)
        if not 0 <= low <= high:
            raise ValueError(f'IBimsMetric: canny_thresholds: expected (low, '
                             f'high) with 0 <= low <= high, got '
                             f'{canny_thresholds!r}')
        for name, value in (('dbe_max_distance', dbe_max_distance),
                            ('canny_sigma', canny_sigma),
                            ('min_plane_fraction', min_plane_fraction)):
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f'IBimsMetric: {name} must be a positive '
                                 f'number, got {value!r}')
        self.depth_metrics = list(depth_metrics)
        self.min_depth_eval = float(min_depth_eval)
        self.max_depth_eval = float(max_depth_eval)
        self.silog_convention = silog_convention
        self.dde_threshold = float(dde_threshold)
        self.dbe_max_distance = float(dbe_max_distance)
        self.canny_sigma = float(canny_sigma)
        self.canny_thresholds = (low, high)
        self.min_plane_fraction = float(min_plane_fraction)
        self.plane_types = tuple(plane_types)
        self.distance_bins = (None if distance_bins is None else
                              [float(e) for e in distance_bins])
        if self.distance_bins is not None:
            distance_bin_errors(np.zeros((1, 1)), np.zeros((1, 1)),
                                np.zeros((1, 1), bool), self.distance_bins)

    # ---------------------------------------------------------- per image
    def process(self, data_batch, data_samples: Sequence) -> None:
        """Per-image errors of a batch into ``self.results``."""
        for sample in data_samples:
            self.results.append(self.evaluate_image(sample))

    def evaluate_image(self, sample) -> dict:
        """The per-image errors of one data sample (dict or
        ``SegDataSample``), in plain types (results are gathered across
        processes): ``depth`` (dict | None), ``dde`` ``(dde_0, dde_m,
        dde_p)`` | None, ``dbe`` ``(acc, comp)`` | None, ``planes`` list of
        ``(plan, orient)``, ``bins`` (list of dict | None) | None."""
        where = str(_get(sample, 'img_path'))
        maps = {}
        for key in ('pred_depth_map', 'gt_depth_map'):
            value = _get(sample, key)
            if value is None:
                raise KeyError(f'IBimsMetric: {where}: data sample has no '
                               f'{key!r}')
            maps[key] = _as_map(_get(value, 'data'), key).numpy()
        pred, gt = maps['pred_depth_map'], maps['gt_depth_map']
        info = _get(sample, 'ibims_gt')
        if info is None:
            raise KeyError(
                f'IBimsMetric: {where}: data sample has no `ibims_gt`; use '
                "LoadIBimsSample and PackSegInputs(meta_keys=(..., "
                "'ibims_gt'))")
        mask = _array(info.get('mask'), 'mask', where)
        for name, array in (('gt_depth_map', gt), ('ibims_gt mask', mask)):
            if array.shape != pred.shape:
                raise ValueError(
                    f'IBimsMetric: {where}: {name} {array.shape} and '
                    f'pred_depth_map {pred.shape} differ in shape')
        valid = ibims_valid_mask(gt, pred, mask)
        masked_gt = np.where(valid, gt, 0.0)
        result = dict(
            depth=compute_depth_metrics(
                pred, masked_gt, self.min_depth_eval, self.max_depth_eval,
                None, self.silog_convention),
            dde=directed_depth_errors(gt, pred, valid, self.dde_threshold),
            dbe=None, planes=[], bins=None)
        if result['dde'] is not None:
            result['dde'] = tuple(result['dde'])
        edges = info.get('edges')
        if edges is not None:
            dbe = depth_boundary_errors(
                _array(edges, 'edges', where), pred, self.dbe_max_distance,
                self.canny_sigma, self.canny_thresholds)
            result['dbe'] = None if dbe is None else tuple(dbe)
        planes = info.get('planes') or {}
        for kind in self.plane_types:
            if kind not in planes:
                continue
            labels = _array(planes[kind].get('labels'), 'labels', where)
            normals = _array(planes[kind].get('normals'), 'normals', where)
            try:
                errors = planarity_errors(
                    gt, pred, labels, normals, info['calib'], valid,
                    self.min_plane_fraction)
            except ValueError as error:
                raise ValueError(f'IBimsMetric: {where}: {kind} planes: '
                                 f'{error}') from None
            result['planes'] += [tuple(e) for e in errors if e is not None]
        if self.distance_bins is not None:
            result['bins'] = distance_bin_errors(
                gt, pred, valid, self.distance_bins, self.min_depth_eval)
        return result

    # ----------------------------------------------------------- reduction
    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Means over images (planes for PE); see the class docstring."""
        metrics, missing, bin_keys = OrderedDict(), [], set()

        def put(name, values):
            mean = _mean(values)
            if mean is None:
                missing.append(name)
            else:
                metrics[name] = mean

        scored = [r['depth'] for r in results if r['depth'] is not None]
        if not scored:
            raise ValueError(
                f'IBimsMetric: none of the {len(results)} images has a valid '
                'pixel (mask_invalid, mask_transp, depth != 0 and prediction '
                '!= 0); check the depth scale of the ground truth')
        for name in self.depth_metrics:
            put(name, [r[name] for r in scored])
        dde = [r['dde'] for r in results if r['dde'] is not None]
        for index, name in enumerate(('dde_0', 'dde_m', 'dde_p')):
            put(name, [d[index] for d in dde])
        dbe = [r['dbe'] for r in results if r['dbe'] is not None]
        put('dbe_acc', [d[0] for d in dbe])
        put('dbe_comp', [d[1] for d in dbe])
        planes = [p for r in results for p in r['planes']]
        put('pe_plan', [p[0] for p in planes])
        put('pe_orient', [p[1] for p in planes])
        if self.distance_bins is not None:
            edges = self.distance_bins
            for k, (low, high) in enumerate(zip(edges, edges[1:])):
                in_bin = [r['bins'][k] for r in results
                          if r['bins'][k] is not None]
                for name in DISTANCE_BIN_METRICS:
                    key = distance_bin_name(name, low, high)
                    bin_keys.add(key)
                    put(key, [b[name] for b in in_bin])
        summary = (f'iBims-1 metrics over {len(results)} images '
                   f'({len(scored)} with valid pixels, {len(dbe)} with '
                   f'edges, {len(planes)} planes):\n' + '\n'.join(
                       f'{k:>16} {v:.5f}' for k, v in metrics.items()
                       if k not in bin_keys))
        if bin_keys:
            summary += (f'\n(+ {len(bin_keys & set(metrics))} distance-bin '
                        'errors in the results)')
        named = [m for m in missing if m not in bin_keys]
        if len(named) < len(missing):
            named.append(f'{len(missing) - len(named)} empty distance-bin '
                         'errors')
        if named:
            summary += ('\nnot reported (nothing to average): ' +
                        ', '.join(named))
        print_log(summary, logger='current')
        return metrics

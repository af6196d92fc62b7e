"""DepthEvalMetric and the depth evaluation crops, checked against a plain
NumPy re-implementation of every formula written out below."""
import math
import os

import cv2
import mmseg
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.evaluation import DepthMetric
from mmseg.registry import METRICS
from mmseg.structures import SegDataSample

import sgmim.evaluation  # noqa: F401  (registers DepthEvalMetric)
from sgmim.evaluation import (DepthEvalMetric, compute_depth_metrics,
                              depth_crop_mask, eigen_crop_mask,
                              garg_crop_mask, nyu_crop_mask)

NAMES = ('d1', 'd2', 'd3', 'abs_rel', 'sq_rel', 'rmse', 'rmse_log', 'log10',
         'silog')


# ----------------------------------------------------------- reference code
def ref_crop(crop_type, h, w):
    """Crop boxes written out from the protocol (BTS / GLPDepth eval)."""
    mask = np.zeros((h, w), dtype=bool)
    if crop_type is None:
        mask[:] = True
    elif crop_type == 'nyu':
        # rows 45:471, cols 41:601 of 480x640, bounds scaled and rounded
        table = {(480, 640): (45, 471, 41, 601),
                 (120, 160): (11, 118, 10, 150),  # 11.25 117.75 10.25 150.25
                 (60, 80): (6, 59, 5, 75)}  # 5.625 58.875 5.125 75.125
        t, b, l, r = table[(h, w)]
        mask[t:b, l:r] = True
    elif crop_type == 'garg':
        mask[int(0.40810811 * h):int(0.99189189 * h),
             int(0.03594771 * w):int(0.96405229 * w)] = True
    elif crop_type == 'eigen':
        mask[int(0.3324324 * h):int(0.91351351 * h),
             int(0.0359477 * w):int(0.96405229 * w)] = True
    return mask


def ref_metrics(pred, gt, min_d, max_d, crop_type, silog='bts'):
    """One image, per-pixel lists and plain float arithmetic."""
    h, w = gt.shape
    crop = ref_crop(crop_type, h, w)
    ps, gs = [], []
    for i in range(h):
        for j in range(w):
            g = float(gt[i, j])
            if not (crop[i, j] and g > min_d and g < max_d):
                continue
            p = float(pred[i, j])
            if np.isnan(p):
                p = min_d
            p = min(max(p, min_d), max_d)
            ps.append(p)
            gs.append(g)
    if not ps:
        return None
    p, g = np.array(ps), np.array(gs)
    thresh = np.maximum(p / g, g / p)
    d = np.log(p) - np.log(g)
    out = {
        'd1': np.mean(thresh < 1.25),
        'd2': np.mean(thresh < 1.25**2),
        'd3': np.mean(thresh < 1.25**3),
        'abs_rel': np.mean(np.abs(p - g) / g),
        'sq_rel': np.mean((p - g)**2 / g),
        'rmse': np.sqrt(np.mean((p - g)**2)),
        'rmse_log': np.sqrt(np.mean((np.log(p) - np.log(g))**2)),
        'log10': np.mean(np.abs(np.log10(p) - np.log10(g))),
    }
    if silog == 'bts':
        out['silog'] = np.sqrt(np.mean(d**2) - np.mean(d)**2) * 100
    else:
        out['silog'] = np.sqrt(np.mean(d**2) - 0.5 * np.mean(d)**2)
    return out


def random_pair(rng, h, w, max_d):
    """gt with holes (0) and out-of-range values, pred with values below min,
    above max, NaN and +inf."""
    gt = rng.uniform(0.2, 1.2 * max_d, size=(h, w))
    gt[rng.random((h, w)) < 0.3] = 0.0
    pred = gt * np.exp(rng.normal(0, 0.3, size=(h, w)))
    pred[gt == 0] = rng.uniform(0.5, max_d, size=int((gt == 0).sum()))
    pred[rng.random((h, w)) < 0.05] = 1e-5
    pred[rng.random((h, w)) < 0.05] = 3 * max_d
    pred[0, 0], pred[-1, -1] = np.nan, np.inf
    return pred.astype(np.float32), gt.astype(np.float32)


def sample(pred, gt, name='x.png'):
    s = SegDataSample(metainfo=dict(img_path=name))
    s.pred_depth_map = PixelData(data=torch.from_numpy(pred)[None])
    s.gt_depth_map = PixelData(data=torch.from_numpy(gt)[None])
    return s


# ------------------------------------------------------------------- crops
@pytest.mark.parametrize('shape', [(480, 640), (375, 1242), (352, 1216),
                                   (78, 256), (120, 160), (61, 97)])
def test_kitti_crops_match_protocol(shape):
    for crop_type, fn in (('garg', garg_crop_mask),
                          ('eigen', eigen_crop_mask)):
        mask = fn(*shape)
        assert mask.dtype == bool and mask.shape == shape
        np.testing.assert_array_equal(mask, ref_crop(crop_type, *shape))
        np.testing.assert_array_equal(
            depth_crop_mask(f'{crop_type}_crop', *shape), mask)


def test_kitti_crop_known_values():
    # BTS on the 352x1216 KB-cropped frame: rows 143:349, cols 43:1172
    rows, cols = np.nonzero(garg_crop_mask(352, 1216))
    assert (rows.min(), rows.max() + 1) == (143, 349)
    assert (cols.min(), cols.max() + 1) == (43, 1172)
    rows, _ = np.nonzero(eigen_crop_mask(352, 1216))
    assert (rows.min(), rows.max() + 1) == (117, 321)


@pytest.mark.parametrize('shape', [(480, 640), (120, 160), (60, 80)])
def test_nyu_crop(shape):
    mask = nyu_crop_mask(*shape)
    np.testing.assert_array_equal(mask, ref_crop('nyu', *shape))
    np.testing.assert_array_equal(depth_crop_mask('nyu_crop', *shape), mask)
    if shape == (480, 640):
        assert mask.sum() == (471 - 45) * (601 - 41)


def test_crop_errors():
    with pytest.raises(ValueError, match='crop_type'):
        depth_crop_mask('kitti', 10, 10)
    with pytest.raises(ValueError, match='positive'):
        garg_crop_mask(0, 10)
    assert depth_crop_mask(None, 3, 4).all()


# ------------------------------------------------------- per-image metrics
@pytest.mark.parametrize('crop_type,shape,max_d', [
    (None, (40, 50), 10.0),
    ('nyu', (120, 160), 10.0),
    ('garg', (78, 256), 80.0),
    ('eigen', (78, 256), 80.0),
])
@pytest.mark.parametrize('silog', ['bts', 'mmseg'])
def test_compute_depth_metrics_matches_reference(crop_type, shape, max_d,
                                                 silog):
    seed = [None, 'nyu', 'garg', 'eigen'].index(crop_type) * 2 + (
        silog == 'bts')
    rng = np.random.default_rng(seed)
    pred, gt = random_pair(rng, *shape, max_d)
    ours = compute_depth_metrics(pred, gt, 1e-3, max_d, crop_type, silog)
    ref = ref_metrics(pred, gt, 1e-3, max_d, crop_type, silog)
    assert set(ours) == set(NAMES)
    for k in NAMES:
        assert ours[k] == pytest.approx(ref[k], rel=1e-9, abs=1e-12), k


def test_mmseg_silog_convention_equals_mmseg_depthmetric():
    """On in-range predictions (no clamping) 'mmseg' silog and the other
    eight metrics equal mmseg 1.2.2's own formulas."""
    rng = np.random.default_rng(3)
    gt = rng.uniform(0.5, 9.0, size=(30, 40))
    pred = np.clip(gt * np.exp(rng.normal(0, 0.2, gt.shape)), 0.01, 9.9)
    ours = compute_depth_metrics(pred, gt, 1e-3, 10.0,
                                 silog_convention='mmseg')
    theirs = DepthMetric._calc_all_metrics(
        torch.from_numpy(gt).flatten(), torch.from_numpy(pred).flatten())
    for k in NAMES:
        assert ours[k] == pytest.approx(theirs[k], rel=1e-6), k


def test_compute_depth_metrics_shapes_and_empty():
    gt = np.ones((4, 5), np.float32)
    with pytest.raises(ValueError, match=r'\(4, 6\).*\(4, 5\)'):
        compute_depth_metrics(np.ones((4, 6)), gt)
    with pytest.raises(ValueError, match=r'\(2, 4, 5\)'):
        compute_depth_metrics(np.ones((2, 4, 5)), gt)
    assert compute_depth_metrics(gt, np.zeros((4, 5))) is None
    # (1, 1, H, W) tensors accepted
    m = compute_depth_metrics(torch.ones(1, 1, 4, 5) * 2, torch.ones(4, 5))
    assert m['abs_rel'] == pytest.approx(1.0) and m['d1'] == 0.0


# ------------------------------------------------------------ the metric
def test_metric_in_evaluator_mean_over_images():
    init_default_scope('mmseg')
    evaluator = Evaluator(
        dict(type='DepthEvalMetric', max_depth_eval=80.0, crop_type='garg'))
    rng = np.random.default_rng(0)
    pairs = [random_pair(rng, 78, 256, 80.0) for _ in range(5)]
    # image 4 has no valid pixel inside the crop: skipped, not averaged
    pairs[4][1][:] = 0.0
    for start in (0, 2, 4):  # batches of 2, 2, 1
        batch = [sample(p, g, f'{i}.png') for i, (p, g) in
                 enumerate(pairs[start:start + 2], start)]
        evaluator.process(data_samples=batch, data_batch=None)
    results = evaluator.evaluate(len(pairs))
    refs = [ref_metrics(p, g, 1e-3, 80.0, 'garg') for p, g in pairs[:4]]
    assert set(results) == set(NAMES)
    for k in NAMES:
        expected = np.mean([r[k] for r in refs])
        assert results[k] == pytest.approx(expected, rel=1e-9), k


def test_metric_list_depth_metrics_no_isinstance_crash():
    if mmseg.__version__ == '1.2.2':  # the bug this metric replaces
        with pytest.raises(TypeError, match='isinstance'):
            DepthMetric(depth_metrics=['rmse', 'abs_rel'])
    metric = METRICS.build(
        dict(type='DepthEvalMetric', depth_metrics=['rmse', 'abs_rel'],
             max_depth_eval=10.0, crop_type='nyu_crop', prefix='nyu'))
    rng = np.random.default_rng(1)
    pred, gt = random_pair(rng, 120, 160, 10.0)
    evaluator = Evaluator(metric)
    evaluator.process(data_samples=[sample(pred, gt)], data_batch=None)
    results = evaluator.evaluate(1)
    ref = ref_metrics(pred, gt, 1e-3, 10.0, 'nyu')
    assert list(results) == ['nyu/rmse', 'nyu/abs_rel']
    assert results['nyu/rmse'] == pytest.approx(ref['rmse'], rel=1e-9)
    assert results['nyu/abs_rel'] == pytest.approx(ref['abs_rel'], rel=1e-9)


def test_metric_argument_errors():
    with pytest.raises(ValueError, match='unsupported'):
        DepthEvalMetric(depth_metrics=['rmse', 'delta1'])
    with pytest.raises(ValueError, match='min_depth_eval'):
        DepthEvalMetric(min_depth_eval=0.0)
    with pytest.raises(ValueError, match='crop_type'):
        DepthEvalMetric(crop_type='kb')
    with pytest.raises(ValueError, match='silog_convention'):
        DepthEvalMetric(silog_convention='zoe')
    with pytest.raises(ValueError, match='output_dir'):
        DepthEvalMetric(format_only=True)


def test_metric_shape_mismatch_and_all_invalid():
    metric = DepthEvalMetric(max_depth_eval=10.0)
    bad = sample(np.ones((4, 6), np.float32), np.ones((4, 5), np.float32))
    with pytest.raises(ValueError, match=r'\(4, 6\).*\(4, 5\)'):
        metric.process(None, [bad.to_dict()])
    metric.process(None, [sample(np.ones((4, 5), np.float32),
                                 np.full((4, 5), 50, np.float32)).to_dict()])
    with pytest.raises(ValueError, match='depth_rescale_factor'):
        metric.compute_metrics(metric.results)


def test_metric_format_only_writes_pngs(tmp_path):
    metric = DepthEvalMetric(format_only=True, output_dir=str(tmp_path),
                             depth_scale_factor=256.0)
    pred = np.full((6, 7), 2.5, np.float32)
    s = SegDataSample(metainfo=dict(img_path='/a/b/0000000005.png'))
    s.pred_depth_map = PixelData(data=torch.from_numpy(pred)[None])
    metric.process(None, [s.to_dict()])
    assert metric.compute_metrics(metric.results) == {}
    out = cv2.imread(os.path.join(tmp_path, '0000000005.png'),
                     cv2.IMREAD_UNCHANGED)
    assert out.dtype == np.uint16 and (out == 640).all()


def test_glpdepth_silog_is_the_authors_formula():
    """``silog_convention='glpdepth'``: the dark-secrets authors' depth code
    (MIM-Depth-Estimation utils/metrics.py, GLPDepth's) reports
    ``sqrt(mean d² − 0.5·(mean d)²)`` of ``d = log p − log g``, no ×100;
    the default is BTS's ``100·sqrt(mean d² − (mean d)²)``."""
    rng = np.random.default_rng(3)
    gt = rng.uniform(0.5, 7.0, size=(24, 32))  # pred < max_depth: unclamped
    pred = gt * rng.uniform(0.7, 1.4, size=gt.shape)
    d = [np.log(p) - np.log(g) for p, g in zip(pred.ravel(), gt.ravel())]
    mean_sq = sum(x * x for x in d) / len(d)
    mean = sum(d) / len(d)
    glpdepth = compute_depth_metrics(torch.from_numpy(pred),
                                     torch.from_numpy(gt), 1e-3, 10.,
                                     silog_convention='glpdepth')['silog']
    bts = compute_depth_metrics(torch.from_numpy(pred),
                                torch.from_numpy(gt), 1e-3, 10.)['silog']
    assert glpdepth == pytest.approx(math.sqrt(mean_sq - 0.5 * mean**2),
                                     rel=1e-9)
    assert bts == pytest.approx(100 * math.sqrt(mean_sq - mean**2),
                                rel=1e-9)

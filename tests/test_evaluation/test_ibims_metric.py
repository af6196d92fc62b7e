"""iBims-1 metrics (DBE, PE, DDE, distance bins, IBimsMetric) against hand
computations and brute-force re-implementations of the formulas."""
import math

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import METRICS
from mmseg.structures import SegDataSample

import sgmim.evaluation  # noqa: F401  (registers IBimsMetric)
from sgmim.evaluation import (IBimsMetric, back_project_ibims,
                              depth_boundary_errors, directed_depth_errors,
                              distance_bin_errors, edge_distance_errors,
                              ibims_valid_mask, normalize_for_edges,
                              planarity_errors, predicted_depth_edges)

CALIB = (60.0, 60.0, 32.5, 24.5)  # fx, fy, cx, cy (1-based), 64 x 48


# ---------------------------------------------------------------- helpers
def ramp_step(h=40, w=40, col=20):
    """Depth 1 | 2 | 3 with the 2 on column ``col``: Canny puts a
    one-pixel edge on that column."""
    depth = np.ones((h, w))
    depth[:, col] = 2.0
    depth[:, col + 1:] = 3.0
    return depth


def brute_force_dbe(gt, pred_edges, theta):
    """acc / comp by explicit nearest-pixel loops."""
    gt_px = np.argwhere(gt)
    pred_px = np.argwhere(pred_edges)

    def nearest(p, pixels):
        return min(math.dist(p, q) for q in pixels) if len(pixels) else \
            math.inf

    d_gt = [nearest(p, gt_px) for p in pred_px]
    d_pred = [nearest(q, pred_px) for q in gt_px]
    near = [d for d in d_gt if d < theta]
    if not near:
        return theta, theta
    comp = (sum(min(d, theta) for d in d_gt) +
            sum(min(d, theta) for d in d_pred)) / (len(d_gt) + len(d_pred))
    return sum(near) / len(near), comp


def plane_depth(normal, offset, shape=(48, 64), calib=CALIB):
    """z of the plane n·X = d along every pixel ray of the iBims frame
    (1-based pixel coordinates): X = z·((u − cx)/fx, 1, −(v − cy)/fy)."""
    fx, fy, cx, cy = calib
    v, u = np.mgrid[1:shape[0] + 1, 1:shape[1] + 1].astype(float)
    rays = np.stack([(u - cx) / fx, np.ones_like(u), -(v - cy) / fy], -1)
    return offset / (rays @ np.asarray(normal, float))


def rotate_z(vector, degrees):
    a = math.radians(degrees)
    rot = np.array([[math.cos(a), -math.sin(a), 0],
                    [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    return rot @ np.asarray(vector, float)


# -------------------------------------------------------------------- DBE
def test_canny_puts_the_ramp_step_on_one_column():
    edges = predicted_depth_edges(ramp_step())
    cols = np.nonzero(edges.any(0))[0]
    assert cols.tolist() == [20]
    # Canny leaves the 1-pixel image border out
    assert np.nonzero(edges[:, 20])[0].tolist() == list(range(1, 39))


@pytest.mark.parametrize('k', [0, 1, 3, 9])
def test_predicted_edges_shifted_by_k_give_acc_and_comp_k(k):
    pred = ramp_step()
    gt = np.roll(predicted_depth_edges(pred), k, axis=1)
    acc, comp = depth_boundary_errors(gt, pred)
    assert acc == pytest.approx(k) and comp == pytest.approx(k)


@pytest.mark.parametrize('k', [2, 5])
def test_dbe_of_a_full_column_and_a_far_pixel_by_hand(k):
    """GT: column 20 + k on all 40 rows plus one pixel at (5, 2);
    prediction edges: column 20, rows 1..38. Every predicted pixel is k
    from the GT column; GT rows 1..38 are k from the prediction, rows 0
    and 39 sqrt(k² + 1), the far pixel 18 (truncated to θ = 10)."""
    pred = ramp_step()
    gt = np.zeros((40, 40), bool)
    gt[:, 20 + k] = True
    gt[5, 2] = True
    acc, comp = depth_boundary_errors(gt, pred)
    assert acc == pytest.approx(k)
    expected = (38 * k + 38 * k + 2 * math.sqrt(k * k + 1) + 10) / (38 + 41)
    assert comp == pytest.approx(expected)


def test_no_predicted_edge_within_theta_gives_theta_for_both():
    pred = ramp_step()
    gt = np.zeros((40, 40), bool)
    gt[:, 31] = True  # 11 px from the predicted column
    assert tuple(depth_boundary_errors(gt, pred)) == (10.0, 10.0)
    # a constant prediction has no edge at all
    assert tuple(depth_boundary_errors(gt, np.full((40, 40), 2.0))) == (
        10.0, 10.0)
    assert tuple(depth_boundary_errors(gt, pred, max_distance=12)) == (
        pytest.approx(11.0), pytest.approx(
            (38 * 11 + 38 * 11 + 2 * math.sqrt(122)) / 78))


def test_no_ground_truth_edge_is_none():
    assert depth_boundary_errors(np.zeros((40, 40)), ramp_step()) is None


def test_edge_distances_match_brute_force():
    rng = np.random.default_rng(0)
    for theta in (3.0, 10.0):
        for _ in range(3):
            gt = rng.random((16, 20)) < 0.05
            pred = rng.random((16, 20)) < 0.05
            gt[3, 4] = pred[12, 15] = True
            expected = brute_force_dbe(gt, pred, theta)
            got = edge_distance_errors(gt, pred, theta)
            np.testing.assert_allclose(tuple(got), expected, rtol=1e-12)


def test_normalisation_ignores_zeros_and_degenerate_maps():
    pred = np.array([[0.0, 2.0], [4.0, np.nan]])
    np.testing.assert_array_equal(normalize_for_edges(pred),
                                  [[0, 0], [1, 0]])
    for flat in (np.zeros((8, 8)), np.full((8, 8), 3.0)):
        out = normalize_for_edges(flat)
        assert np.isfinite(out).all() and not out.any()
        assert not predicted_depth_edges(flat).any()
    # zeros are masked out of Canny: no edge on or next to them
    pred = ramp_step()
    pred[:, :5] = 0.0
    edges = predicted_depth_edges(pred)
    assert not edges[:, :6].any() and edges[1:39, 20].all()
    with pytest.raises(ValueError, match='differ in shape'):
        depth_boundary_errors(np.ones((4, 4)), np.ones((4, 5)))


# --------------------------------------------------------------------- PE
def wall(shape=(48, 64)):
    labels = np.zeros(shape, int)
    labels[:, :40] = 1  # plane 1: left 40 columns (62 % of the image)
    return labels


def test_perfect_plane_has_zero_errors_whatever_the_scale():
    normal = np.array([0.2, 1.0, -0.1])
    gt = plane_depth(normal, 3.0)
    for scale in (1.0, 1.7):
        (errors, ) = planarity_errors(gt, scale * gt, wall(), [normal],
                                      CALIB)
        assert errors.plan == pytest.approx(0, abs=1e-9)
        assert errors.orient == pytest.approx(0, abs=1e-5)
    # the sign of the GT normal does not matter (sign-aligned)
    (errors, ) = planarity_errors(gt, gt, wall(), [-normal], CALIB)
    assert errors.orient == pytest.approx(0, abs=1e-5)


@pytest.mark.parametrize('angle', [5.0, 20.0])
def test_tilted_prediction_gives_the_tilt(angle):
    normal = np.array([0.0, 1.0, 0.0])  # fronto-parallel wall 2 m away
    gt = plane_depth(normal, 2.0)
    pred = plane_depth(rotate_z(normal, angle), 2.0)
    (errors, ) = planarity_errors(gt, pred, wall(), [normal], CALIB)
    assert errors.orient == pytest.approx(angle, abs=1e-6)
    assert errors.plan == pytest.approx(0, abs=1e-9)


def test_rough_plane_matches_an_svd_fit():
    normal = np.array([0.1, 1.0, 0.3])
    gt = plane_depth(normal, 2.5)
    rng = np.random.default_rng(1)
    pred = gt * (1 + 0.01 * rng.standard_normal(gt.shape))
    labels = wall()
    (errors, ) = planarity_errors(gt, pred, labels, [normal], CALIB)
    # independent: scale by the medians, project by hand, fit with SVD
    plane = labels == 1
    scaled = pred * np.median(gt[plane]) / np.median(pred[plane])
    rows, cols = np.nonzero(plane)
    fx, fy, cx, cy = CALIB
    z = scaled[rows, cols]
    points = np.stack([(cols + 1 - cx) * z / fx, z,
                       -(rows + 1 - cy) * z / fy], 1)
    np.testing.assert_allclose(back_project_ibims(scaled, CALIB, plane),
                               points)
    centred = points - points.mean(0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    fitted = vt[2] * np.sign(vt[2] @ normal)
    assert errors.plan == pytest.approx(100 * singular[2] /
                                        math.sqrt(len(points)))
    assert errors.orient == pytest.approx(math.degrees(math.acos(
        fitted @ normal / np.linalg.norm(normal))), abs=1e-6)
    assert errors.plan > 0.5  # 1 % noise at 2.5 m: ~2.5 cm


def test_small_planes_invalid_pixels_and_bad_normals():
    normal = np.array([0.0, 1.0, 0.0])
    gt = plane_depth(normal, 2.0)
    labels = np.zeros(gt.shape, int)
    labels[:10, :15] = 1  # 150 px < 5 % of 3072 = 153.6
    labels[20:, :] = 2
    errors = planarity_errors(gt, gt, labels, [normal, normal], CALIB)
    assert errors[0] is None and errors[1].plan == pytest.approx(0, abs=1e-9)
    valid = np.ones(gt.shape, bool)
    valid[20:, 8:] = False  # leaves 28 x 8 = 224 px of plane 2
    errors = planarity_errors(gt, gt, labels, [normal, normal], CALIB,
                              valid, min_fraction=0.1)
    assert errors == [None, None]
    pred = gt.copy()
    pred[:, 3:] = 0  # predictions of 0 are not evaluated
    assert planarity_errors(gt, pred, labels, [normal, normal],
                            CALIB)[1] is None
    with pytest.raises(ValueError, match='non-zero 3-vector'):
        planarity_errors(gt, gt, labels, [normal, [0, 0, 0]], CALIB)
    with pytest.raises(ValueError, match='calib'):
        planarity_errors(gt, gt, labels, [normal, normal], (1, 2, 3))
    assert planarity_errors(gt, gt, labels, np.zeros((0, 3)), CALIB) == []


# --------------------------------------------------- DDE, bins, valid mask
def test_directed_depth_error_by_hand():
    gt = np.array([[1.0, 2.0, 4.0, 5.0, 3.0]])
    pred = np.array([[1.0, 4.0, 2.0, 5.0, 3.0]])
    valid = np.array([[True, True, True, True, False]])
    assert tuple(directed_depth_errors(gt, pred, valid, 3.0)) == (
        0.5, 0.25, 0.25)
    assert directed_depth_errors(gt, pred, np.zeros_like(valid)) is None


def test_distance_bins_are_inclusive_like_the_official_script():
    gt = np.array([[0.5, 1.0, 1.5, 2.0, 3.5]])
    pred = gt * 1.1
    valid = np.ones_like(gt, bool)
    bins = distance_bin_errors(gt, pred, valid, [0, 1, 2, 3, 3.2])
    # [0, 1]: 0.5, 1.0; [1, 2]: 1.0, 1.5, 2.0; [2, 3]: 2.0; [3, 3.2]: none
    first, second, third, fourth = bins
    assert fourth is None and third['rmse'] == pytest.approx(0.2)
    assert first['abs_rel'] == pytest.approx(0.1)
    assert first['rmse'] == pytest.approx(math.sqrt((0.05**2 + 0.1**2) / 2))
    assert second['rmse'] == pytest.approx(
        math.sqrt((0.1**2 + 0.15**2 + 0.2**2) / 3))
    assert second['log10'] == pytest.approx(math.log10(1.1))
    with pytest.raises(ValueError, match='bin_edges'):
        distance_bin_errors(gt, pred, valid, [0, 2, 1])


def test_valid_mask():
    gt = np.array([[1.0, 0.0, 2.0, 3.0, np.nan]])
    pred = np.array([[1.0, 1.0, 0.0, 3.0, 1.0]])
    transp = np.array([[1, 1, 1, 0, 1]])
    np.testing.assert_array_equal(
        ibims_valid_mask(gt, pred, np.ones_like(transp), transp),
        [[True, False, False, False, False]])


# ------------------------------------------------------------ IBimsMetric
def make_sample(gt, pred, mask=None, edges=None, planes=None, name='x'):
    sample = SegDataSample(metainfo=dict(
        img_path=name,
        ibims_gt=dict(mask=np.ones(gt.shape, bool) if mask is None else mask,
                      edges=edges, calib=CALIB, planes=planes or {})))
    sample.gt_depth_map = PixelData(data=torch.from_numpy(gt)[None].float())
    sample.pred_depth_map = PixelData(
        data=torch.from_numpy(pred)[None].float())
    return sample.to_dict()


def test_metric_on_a_wall_and_a_step():
    """gt: a wall 2-3 m away with a box 1 m in front of its right part;
    pred = 2·gt. Scaling leaves PE at 0 and the edges where they are."""
    normal = np.array([0.1, 1.0, 0.0])
    gt = plane_depth(normal, 2.5)
    gt[:, 44:] = 1.0
    edges = np.zeros(gt.shape, bool)
    edges[:, 44] = True
    labels = np.zeros(gt.shape, int)
    labels[:, :40] = 1
    mask = np.ones(gt.shape, bool)
    mask[0, :] = False  # e.g. transparent
    planes = dict(wall=dict(labels=labels, normals=normal[None]))
    metric = METRICS.build(dict(type='IBimsMetric', distance_bins=[0, 2, 4]))
    assert isinstance(metric, IBimsMetric)
    metric.process(None, [make_sample(gt, 2 * gt, mask, edges, planes)])
    result = metric.compute_metrics(metric.results)
    assert result['abs_rel'] == pytest.approx(1.0, rel=1e-6)
    assert result['d1'] == 0.0
    assert result['rmse'] == pytest.approx(
        math.sqrt(np.mean(gt[1:]**2)), rel=1e-6)
    assert result['pe_plan'] == pytest.approx(0, abs=1e-4)
    assert result['pe_orient'] == pytest.approx(0, abs=1e-3)
    expected = depth_boundary_errors(edges, gt.astype(np.float32))
    assert (result['dbe_acc'], result['dbe_comp']) == pytest.approx(
        tuple(expected))
    near = gt[1:] <= 3.0  # everything; 2·gt beyond 3 m where gt > 1.5
    assert result['dde_0'] == pytest.approx(
        np.mean((2 * gt[1:] <= 3.0) == near))
    assert result['dde_p'] == pytest.approx(1 - result['dde_0'])
    assert result['dde_m'] == 0.0
    assert result['abs_rel_0-2m'] == pytest.approx(1.0, rel=1e-6)
    assert result['abs_rel_2-4m'] == pytest.approx(1.0, rel=1e-6)


def test_metric_averages_images_and_planes_and_omits_empty_values():
    gt = np.full((48, 64), 2.0)
    metric = IBimsMetric(distance_bins=None)
    metric.process(None, [make_sample(gt, gt * 1.1, name='a'),
                          make_sample(gt, gt * 1.3, name='b')])
    result = metric.compute_metrics(metric.results)
    assert result['abs_rel'] == pytest.approx(0.2, rel=1e-6)
    # no edges, no planes, no bins: left out, and nothing is NaN
    assert not {'dbe_acc', 'dbe_comp', 'pe_plan', 'pe_orient'} & set(result)
    assert all(math.isfinite(v) for v in result.values())


def test_metric_errors_name_the_problem():
    gt = np.full((8, 8), 2.0)
    metric = IBimsMetric()
    sample = make_sample(gt, gt)
    sample.pop('ibims_gt')
    with pytest.raises(KeyError, match='ibims_gt'):
        metric.process(None, [sample])
    small_mask = np.ones((4, 4), bool)
    with pytest.raises(ValueError, match='differ in shape'):
        metric.process(None, [make_sample(gt, gt, mask=small_mask)])
    metric.results.clear()
    metric.process(None, [make_sample(np.zeros((8, 8)), gt)])
    with pytest.raises(ValueError, match='none of the 1 images'):
        metric.compute_metrics(metric.results)
    for bad in (dict(depth_metrics=['foo']), dict(canny_sigma=0),
                dict(canny_thresholds=(0.3, 0.1)), dict(min_depth_eval=0),
                dict(distance_bins=[1])):
        with pytest.raises(ValueError):
            IBimsMetric(**bad)

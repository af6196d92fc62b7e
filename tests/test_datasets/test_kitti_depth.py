"""KITTIDepthDataset and KBCrop on generated SynthScenes KITTI data, and the
KITTI / NYU test pipelines feeding DepthEvalMetric through mmengine's
Evaluator."""
import os
import shutil

import cv2
import numpy as np
import pytest
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import DATASETS, TRANSFORMS

import sgmim.datasets.kitti_depth  # noqa: F401
import sgmim.datasets.transforms.kb_crop  # noqa: F401
import sgmim.evaluation  # noqa: F401
from sgmim.datasets.synthscenes import generate

# SynthScenes KITTI frames are 78x256 (HxW); a KB-like crop scaled from
# 352x1216 on 375x1242 is ~73x250.
CROP_H, CROP_W = 73, 250
META_KEYS = ('img_path', 'depth_map_path', 'ori_shape', 'img_shape',
             'focal_length', 'kb_crop_bbox')


def kitti_pipeline(crop=True):
    return [
        dict(type='LoadImageFromFile'),
        dict(type='LoadDepthAnnotation', depth_rescale_factor=1 / 256),
    ] + ([dict(type='KBCrop', height=CROP_H, width=CROP_W)] if crop else
         []) + [dict(type='PackSegInputs', meta_keys=META_KEYS)]


@pytest.fixture(scope='module', autouse=True)
def mmseg_scope():
    init_default_scope('mmseg')


@pytest.fixture(scope='module')
def synth_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('synth')
    generate(root, seed=0, subsets=('kitti', 'nyu'), num_train=4, num_val=2,
             show_progress=False)
    return root


@pytest.fixture
def kitti_copy(synth_root, tmp_path):
    """A private copy of the KITTI folder a test may modify."""
    dst = tmp_path / 'kitti'
    shutil.copytree(synth_root / 'kitti', dst)
    return dst


def split_lines(root, split):
    with open(os.path.join(root, f'eigen_{split}_files_with_gt.txt')) as f:
        return [line.split() for line in f if line.strip()]


def build(root, **kwargs):
    return DATASETS.build(
        dict(type='KITTIDepthDataset', data_root=str(root), **kwargs))


# ------------------------------------------------------------------ dataset
def test_dataset_infos_follow_split_file(synth_root):
    root = synth_root / 'kitti'
    for split, test_mode in (('train', False), ('test', True)):
        lines = split_lines(root, split)
        ds = build(root, ann_file=f'eigen_{split}_files_with_gt.txt',
                   test_mode=test_mode)
        assert len(ds) == len(lines) == {'train': 4, 'test': 2}[split]
        for i, (rgb, depth, focal) in enumerate(lines):
            info = ds.get_data_info(i)
            assert info['img_path'] == os.path.join(root, 'raw', rgb)
            assert info['depth_map_path'] == os.path.join(
                root, 'depth', depth)
            assert info['focal_length'] == pytest.approx(float(focal))
            assert info['seg_fields'] == [] and 'category_id' not in info
    assert ds.metainfo['depth_scale'] == 256.0


def test_pipeline_loads_metric_depth(synth_root):
    root = synth_root / 'kitti'
    ds = build(root, ann_file='eigen_train_files_with_gt.txt',
               pipeline=kitti_pipeline(crop=False))
    rgb, depth, _ = split_lines(root, 'train')[1]
    out = ds[1]
    png = cv2.imread(os.path.join(root, 'depth', depth), cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint16
    gt = out['data_samples'].gt_depth_map.data
    assert gt.shape == (1, 78, 256)
    np.testing.assert_allclose(gt[0].numpy(), png / 256.0, rtol=1e-6)
    assert (gt > 0).float().mean() < 0.9  # LiDAR-sparse: holes are 0
    img = cv2.imread(os.path.join(root, 'raw', rgb))
    np.testing.assert_array_equal(out['inputs'].permute(1, 2, 0).numpy(), img)


def test_none_depth_lines(kitti_copy):
    lines = split_lines(kitti_copy, 'test')
    lines[0][1] = 'None'
    with open(kitti_copy / 'eigen_test_files_with_gt.txt', 'w') as f:
        f.writelines(' '.join(line) + '\n' for line in lines)
    ds = build(kitti_copy, ann_file='eigen_test_files_with_gt.txt',
               test_mode=True)
    assert len(ds) == 1
    ds = build(kitti_copy, ann_file='eigen_test_files_with_gt.txt',
               test_mode=True, keep_missing_depth=True)
    assert len(ds) == 2 and ds.get_data_info(0)['depth_map_path'] is None
    with pytest.raises(ValueError, match='test_mode'):
        build(kitti_copy, ann_file='eigen_test_files_with_gt.txt',
              keep_missing_depth=True)


def test_missing_file_error_names_line_and_path(kitti_copy):
    lines = split_lines(kitti_copy, 'train')
    missing = kitti_copy / 'depth' / lines[2][1]
    os.remove(missing)
    with pytest.raises(FileNotFoundError) as err:
        build(kitti_copy, ann_file='eigen_train_files_with_gt.txt')
    msg = str(err.value)
    assert 'line 3' in msg and str(missing) in msg
    assert 'eigen_train_files_with_gt.txt' in msg
    # skipping the check defers the error to loading
    assert len(build(kitti_copy, ann_file='eigen_train_files_with_gt.txt',
                     check_files=False)) == 4
    with pytest.raises(FileNotFoundError, match='split file'):
        build(kitti_copy, ann_file='nope.txt')


def test_malformed_line(kitti_copy):
    with open(kitti_copy / 'bad.txt', 'w') as f:
        f.write('a.png b.png\n')
    with pytest.raises(ValueError, match=r'line 1 .*<focal>'):
        build(kitti_copy, ann_file='bad.txt')


# ------------------------------------------------------------------- KBCrop
def test_kb_crop_full_size_indices():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (375, 1242, 3), dtype=np.uint8)
    depth = rng.random((375, 1242)).astype(np.float32)
    results = dict(img=img, gt_depth_map=depth, seg_fields=['gt_depth_map'],
                   img_shape=(375, 1242), ori_shape=(375, 1242))
    out = TRANSFORMS.build(dict(type='KBCrop'))(results)
    np.testing.assert_array_equal(out['img'], img[23:375, 13:1229])
    np.testing.assert_array_equal(out['gt_depth_map'], depth[23:375, 13:1229])
    assert out['img_shape'] == out['ori_shape'] == (352, 1216)
    assert out['kb_crop_bbox'] == (23, 13, 375, 1229)


def test_kb_crop_errors():
    crop = TRANSFORMS.build(dict(type='KBCrop', height=80, width=100))
    with pytest.raises(ValueError, match=r'\(78, 256\).*80x100'):
        crop(dict(img=np.zeros((78, 256, 3), np.uint8), seg_fields=[]))
    crop = TRANSFORMS.build(dict(type='KBCrop', height=10, width=10))
    with pytest.raises(ValueError, match=r'gt_depth_map of shape \(20, 30\)'):
        crop(dict(img=np.zeros((20, 31, 3), np.uint8),
                  gt_depth_map=np.zeros((20, 30)),
                  seg_fields=['gt_depth_map']))
    with pytest.raises(ValueError, match='positive integer'):
        TRANSFORMS.build(dict(type='KBCrop', height=0))


# ----------------------------------------------------- end-to-end evaluation
def evaluate_scaled_gt(dataset, evaluator_cfg, factor):
    """Feed ``pred = factor·gt`` (prediction at ``ori_shape``) of every
    image to an Evaluator; returns metrics and the gt maps."""
    evaluator = Evaluator(evaluator_cfg)
    gts = []
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        gt = sample.gt_depth_map.data
        assert tuple(gt.shape[1:]) == tuple(sample.ori_shape)
        sample.pred_depth_map = PixelData(data=gt * factor + 0.5)
        gts.append(gt[0].numpy())
        evaluator.process(data_samples=[sample], data_batch=None)
    return evaluator.evaluate(len(dataset)), gts


def reference_abs_rel(gt, factor, max_d, rows, cols):
    vals = []
    for i in range(*rows):
        for j in range(*cols):
            g = float(gt[i, j])
            if 1e-3 < g < max_d:
                p = min(max(g * factor + 0.5, 1e-3), max_d)
                vals.append(abs(p - g) / g)
    return np.mean(vals)


def test_kitti_eval_with_kb_and_garg_crop(synth_root):
    ds = build(synth_root / 'kitti', ann_file='eigen_test_files_with_gt.txt',
               test_mode=True, pipeline=kitti_pipeline())
    results, gts = evaluate_scaled_gt(
        ds, dict(type='DepthEvalMetric', max_depth_eval=80.0,
                 crop_type='garg'), 1.1)
    assert gts[0].shape == (CROP_H, CROP_W)
    rows = (int(0.40810811 * CROP_H), int(0.99189189 * CROP_H))
    cols = (int(0.03594771 * CROP_W), int(0.96405229 * CROP_W))
    ref = np.mean([reference_abs_rel(g, 1.1, 80.0, rows, cols) for g in gts])
    assert results['abs_rel'] == pytest.approx(ref, rel=1e-6)


def test_nyu_eval_with_mmseg_nyu_dataset(synth_root):
    ds = DATASETS.build(
        dict(type='NYUDataset', data_root=str(synth_root / 'nyu'),
             test_mode=True,
             data_prefix=dict(img_path='images/test',
                              depth_map_path='annotations/test'),
             pipeline=[
                 dict(type='LoadImageFromFile'),
                 dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
                 dict(type='PackSegInputs',
                      meta_keys=('img_path', 'depth_map_path', 'ori_shape',
                                 'img_shape', 'category_id')),
             ]))
    assert len(ds) == 2
    results, gts = evaluate_scaled_gt(
        ds, dict(type='DepthEvalMetric', max_depth_eval=10.0,
                 crop_type='nyu_crop'), 0.9)
    assert gts[0].shape == (120, 160)
    # 45:471 x 41:601 on 480x640, scaled by 1/4 and rounded half up
    ref = np.mean([reference_abs_rel(g, 0.9, 10.0, (11, 118), (10, 150))
                   for g in gts])
    assert results['abs_rel'] == pytest.approx(ref, rel=1e-6)
    assert 0 < results['d1'] <= 1 and results['rmse'] > 0

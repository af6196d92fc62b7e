"""The depth configs size their 25-epoch schedule by their training split:
NYUv2 BTS list 24231 frames (the default), the labeled split 795 images,
KITTI Eigen 23158."""
from pathlib import Path

import pytest
from mmengine.config import Config

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
NYU_CONFIGS = sorted((CONFIGS / 'benchmarks').glob('*/*_nyu-480x480.py'))
KITTI_CONFIGS = sorted((CONFIGS / 'benchmarks').glob('*/*_kitti-*.py'))
NYU_SWIN = next(p for p in NYU_CONFIGS
                if p.name.startswith('glpdepth_swin-base-'))  # the parent
BATCH = 8 * 3


def assert_sized(cfg, num_images):
    max_iters = 25 * num_images // BATCH
    half = 12 * num_images // BATCH
    assert cfg.train_cfg.max_iters == max_iters
    assert cfg.train_cfg.val_interval == max_iters // 5
    (scheduler, ) = cfg.param_scheduler
    assert (scheduler.rise_steps, scheduler.fall_steps, scheduler.end) == (
        half, half, max_iters)


@pytest.mark.parametrize('path', NYU_CONFIGS, ids=[p.name for p in
                                                    NYU_CONFIGS])
def test_nyu_configs_follow_the_bts_split(path):
    cfg = Config.fromfile(str(path))
    assert cfg.num_train_images == 24231
    assert cfg.train_cfg.max_iters == 25 * 24231 // 24 == 25240
    assert_sized(cfg, 24231)
    dataset = cfg.train_dataloader.dataset
    assert (dataset.type, dataset.data_root, dataset.ann_file) == (
        'NYUSyncDepthDataset', 'data/nyu_sync',
        'nyudepthv2_train_files_with_gt.txt')
    test = cfg.test_dataloader.dataset
    assert test.ann_file == 'nyudepthv2_test_files_with_gt.txt'
    assert test.data_prefix.img_path == 'official_splits/test'


@pytest.mark.parametrize('path', KITTI_CONFIGS, ids=[p.name for p in
                                                      KITTI_CONFIGS])
def test_kitti_configs_follow_the_eigen_split(path):
    assert_sized(Config.fromfile(str(path)), 23158)


def test_labeled_variant_follows_the_labeled_split():
    """The labeled-split config: 795 images, 25 * 795 // 24 iterations, the
    mmseg NYUDataset layout; everything else as its BTS parent."""
    path = CONFIGS / 'benchmarks' / 'glpdepth' / NYU_SWIN.name.replace(
        '_nyu-', '_nyu-labeled795-')
    cfg = Config.fromfile(str(path))
    assert cfg.num_train_images == 795
    assert cfg.train_cfg.max_iters == 25 * 795 // 24 == 828
    assert_sized(cfg, 795)
    assert (cfg.dataset_type, cfg.data_root) == ('NYUDataset', 'data/nyu')
    for loader, split in (('train_dataloader', 'train'),
                          ('val_dataloader', 'test'),
                          ('test_dataloader', 'test')):
        dataset = cfg[loader].dataset
        assert (dataset.type, dataset.data_root, dataset.ann_file) == (
            'NYUDataset', 'data/nyu', '')
        assert dataset.data_prefix == dict(
            img_path=f'images/{split}', depth_map_path=f'annotations/{split}')
    bts = Config.fromfile(str(NYU_SWIN))
    assert cfg.model == bts.model and cfg.optim_wrapper == bts.optim_wrapper
    for loader in ('train_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.pipeline == bts[loader].dataset.pipeline
    assert cfg.val_evaluator == bts.val_evaluator

"""Every transfer config under configs/benchmarks builds its model, its
train/test pipelines and its optimizer wrapper, and exposes the encoder
checkpoint through ``model.backbone.init_cfg.checkpoint``."""
import importlib
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

import sgmim  # noqa: F401

BENCHMARKS = Path(__file__).resolve().parents[2] / 'configs' / 'benchmarks'
CONFIGS = sorted(BENCHMARKS.glob('*/*.py'))


def pipelines(cfg):
    for loader in ('train_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        while 'pipeline' not in dataset:
            dataset = dataset.dataset
        yield dataset.pipeline


@pytest.mark.parametrize('path', CONFIGS, ids=[p.name for p in CONFIGS])
def test_benchmark_config_builds(path):
    cfg = Config.fromfile(str(path))
    init_default_scope(cfg.default_scope)
    registry = importlib.import_module(f'{cfg.default_scope}.registry')
    assert 'checkpoint' in cfg.model.backbone.init_cfg
    assert cfg.model.backbone.init_cfg.type == 'Pretrained'
    model = registry.MODELS.build(cfg.model)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        # mmengine passes a `_scope_` tag (set on dicts inherited through
        # 'pkg::') on to the collate function, which then fails.
        assert '_scope_' not in cfg[loader].get('collate_fn', {}), loader
    for pipeline in pipelines(cfg):
        for transform in pipeline:
            registry.TRANSFORMS.build(transform)
    optim_cfg = cfg.optim_wrapper.copy()
    optim_cfg.type = 'OptimWrapper'  # AmpOptimWrapper needs a GPU
    optim_cfg.pop('loss_scale', None)
    wrapper = build_optim_wrapper(model, optim_cfg)
    # Every parameter lands in exactly one group (frozen ones included).
    grouped = [id(p) for g in wrapper.optimizer.param_groups
               for p in g['params']]
    assert sorted(grouped) == sorted(id(p) for p in model.parameters())


LSJ_CONFIGS = sorted(BENCHMARKS.glob('mask_rcnn/*lsj*.py'))


@pytest.mark.parametrize('path', LSJ_CONFIGS, ids=[p.name for p in LSJ_CONFIGS])
def test_lsj_batches_are_padded_to_the_crop_size(path):
    """As mmdet's own LSJ recipes: every training batch, images and masks,
    is padded to the fixed 1024 x 1024 crop (BatchFixedSizePad)."""
    import numpy as np
    import torch
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    cfg = Config.fromfile(str(path))
    init_default_scope('mmdet')
    preprocessor = MODELS.build(cfg.model.data_preprocessor)
    images, samples = [], []
    for h, w in ((300, 400), (200, 520)):
        images.append(torch.randint(0, 255, (3, h, w), dtype=torch.uint8))
        sample = DetDataSample(metainfo=dict(img_shape=(h, w)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[0., 0., 10., 10.]]),
            labels=torch.tensor([0]),
            masks=BitmapMasks(np.ones((1, h, w), np.uint8), h, w))
        samples.append(sample)
    out = preprocessor(dict(inputs=images, data_samples=samples),
                       training=True)
    assert out['inputs'].shape == (2, 3, 1024, 1024)
    for sample in out['data_samples']:
        assert sample.batch_input_shape == (1024, 1024)
        assert sample.gt_instances.masks.masks.shape[1:] == (1024, 1024)

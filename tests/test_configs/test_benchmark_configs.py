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

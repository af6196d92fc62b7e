"""``auto_scale_lr.rule``: mmengine's linear rule and LUT's square root
(``main_lut.py``: lr = blr·√B / 4), resolved through the runner that
``tools/train.py`` builds, for total batches 1024 and 4096."""
import math

import pytest
import torch
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.registry import MODELS

import sgmim  # noqa: F401
from sgmim.engine.runners import (LRScalingRunner, lr_scale_factor,
                                  lr_scaling_rule)
from sgmim.utils.run_config import build_runner
from tool_helpers import load_tool

BLR = 1.5e-4
LR_4096 = BLR * 4096 / 256  # the MAE / LUT configs' lr (both rules agree)


@MODELS.register_module(name='LRScalingTinyModel', force=True)
class TinyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(2, 2)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.linear(inputs)


def tiny_cfg(tmp_path, batch_size, **auto_scale_lr):
    return Config(dict(
        model=dict(type='LRScalingTinyModel'),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            batch_size=batch_size, dataset=[], sampler=dict(
                type='DefaultSampler', shuffle=False)),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=LR_4096)),
        param_scheduler=[dict(type='ConstantLR', factor=1.)],
        auto_scale_lr=dict(auto_scale_lr, enable=True),
        default_hooks=dict(logger=None, checkpoint=None),
        env_cfg=dict(dist_cfg=dict(backend='gloo')),
    ))


def scaled_lr(cfg):
    """The lr after the runner's ``scale_lr``, the step ``Runner.train``
    takes after building the optimizer and before the schedulers."""
    runner = build_runner(cfg)
    assert isinstance(runner, LRScalingRunner)
    wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.scale_lr(wrapper, runner.auto_scale_lr)
    return wrapper.optimizer.param_groups[0]['lr']


@pytest.mark.parametrize('batch', [1024, 4096])
@pytest.mark.parametrize('rule', ['linear', 'sqrt', None])
def test_resolved_lr(tmp_path, batch, rule):
    extra = {} if rule is None else dict(rule=rule)
    cfg = tiny_cfg(tmp_path, batch, base_batch_size=4096, **extra)
    expected = {  # the authors' formulas, not the factor
        'linear': BLR * batch / 256,
        None: BLR * batch / 256,
        'sqrt': BLR * math.sqrt(batch) / 4,
    }[rule]
    assert scaled_lr(cfg) == pytest.approx(expected, rel=1e-12)


def test_factors():
    assert lr_scale_factor(1024, dict(base_batch_size=4096)) == 0.25
    assert lr_scale_factor(1024, dict(base_batch_size=4096,
                                      rule='sqrt')) == 0.5
    # fine-tuning: blr·√B / 8 relative to batch 1024
    assert 1e-3 * lr_scale_factor(4096, dict(
        base_batch_size=1024, rule='sqrt')) == pytest.approx(
            2.5e-4 * math.sqrt(4096) / 8)


def test_unknown_rule_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"auto_scale_lr.rule='cube'"):
        lr_scaling_rule(dict(base_batch_size=256, rule='cube'))
    cfg = tiny_cfg(tmp_path, 8, base_batch_size=256, rule='cube')
    with pytest.raises(ValueError, match=r"auto_scale_lr.rule='cube'"):
        build_runner(cfg)
    train = load_tool('train.py')
    cfg.auto_scale_lr.enable = False
    with pytest.raises(ValueError, match=r"x.py: auto_scale_lr.rule='cube'"):
        train.apply_auto_scale_lr(cfg, 'x.py')
    with pytest.raises(ValueError, match='base_batch_size'):
        lr_scaling_rule(dict(base_batch_size=0))


def test_runner_type_that_ignores_the_rule(tmp_path):
    cfg = tiny_cfg(tmp_path, 8, base_batch_size=256, rule='sqrt')
    cfg.runner_type = 'Runner'
    with pytest.raises(ValueError, match="runner_type='Runner'"):
        build_runner(cfg)
    cfg.runner_type = 'LRScalingRunner'
    assert type(build_runner(cfg)) is LRScalingRunner

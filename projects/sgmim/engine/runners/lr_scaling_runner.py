"""mmengine's ``Runner`` with a choice of learning-rate scaling rule.

mmengine scales the lr linearly with the total batch (``--auto-scale-lr``,
Goyal et al.)::

    lr = lr_cfg · B / B_0                                    (linear)

LUT's code (``main_lut.py``) sets ``lr = blr · √B / 4`` for pre-training and
``blr · √B / 8`` for fine-tuning: square-root scaling, which equals MAE's
``blr · B / 256`` only at B = 4096 (pre-training) and B = 1024 (fine-tuning).
Relative to a config whose lr is that of batch B_0::

    lr = lr_cfg · √(B / B_0)                                 (sqrt)

``auto_scale_lr = dict(base_batch_size=B_0, rule='sqrt')`` selects it;
``rule`` defaults to ``'linear'`` (mmengine's behaviour).
"""
import math
from typing import Optional

from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.optim.scheduler.param_scheduler import _ParamScheduler
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from torch.utils.data import DataLoader

from .model_compile import compile_model

__all__ = ['LR_SCALING_RULES', 'lr_scaling_rule', 'lr_scale_factor',
           'LRScalingRunner']

#: ``auto_scale_lr.rule`` values: the factor of the configured lr for a
#: total batch ``real`` when the config's lr is that of ``base``.
LR_SCALING_RULES = {
    'linear': lambda real, base: real / base,
    'sqrt': lambda real, base: math.sqrt(real / base),
}


def lr_scaling_rule(auto_scale_lr: Optional[dict]) -> str:
    """The validated ``auto_scale_lr.rule`` (``'linear'`` when absent).

    Raises:
        ValueError: the rule is not one of :data:`LR_SCALING_RULES`, or
            ``base_batch_size`` is not a positive number; the message names
            the key.
    """
    auto_scale_lr = auto_scale_lr or {}
    rule = auto_scale_lr.get('rule', 'linear')
    if rule not in LR_SCALING_RULES:
        raise ValueError(f'auto_scale_lr.rule={rule!r} is unknown; choose '
                         f'one of {sorted(LR_SCALING_RULES)}')
    base = auto_scale_lr.get('base_batch_size')
    if base is not None and not (isinstance(base, (int, float))
                                 and base > 0):
        raise ValueError('auto_scale_lr.base_batch_size must be a positive '
                         f'number, got {base!r}')
    return rule


def lr_scale_factor(real_batch_size: int, auto_scale_lr: dict) -> float:
    """Factor applied to every param group's lr for a total batch of
    ``real_batch_size`` under ``auto_scale_lr`` (``base_batch_size`` and
    ``rule``)."""
    rule = lr_scaling_rule(auto_scale_lr)
    if 'base_batch_size' not in auto_scale_lr:
        raise KeyError('auto_scale_lr.base_batch_size is missing')
    return LR_SCALING_RULES[rule](float(real_batch_size),
                                  float(auto_scale_lr['base_batch_size']))


def _is_built(schedulers) -> bool:
    """Whether ``schedulers`` (configs, built schedulers, or lists / dicts of
    them) holds a built scheduler, as mmengine's ``scale_lr`` checks."""
    if isinstance(schedulers, dict):
        return 'type' not in schedulers and any(
            _is_built(s) for s in schedulers.values())
    if isinstance(schedulers, (list, tuple)):
        return any(_is_built(s) for s in schedulers)
    return isinstance(schedulers, _ParamScheduler)


@RUNNERS.register_module()
class LRScalingRunner(Runner):
    """``Runner`` whose ``scale_lr`` follows ``auto_scale_lr.rule``
    (:data:`LR_SCALING_RULES`: ``'linear'``, mmengine's, or ``'sqrt'``,
    LUT's), and whose ``compile`` compiles the model's forward
    (:func:`~sgmim.engine.runners.model_compile.compile_model`) where
    mmengine's compiles ``train_step``; everything else is mmengine's.

    ``tools/train.py`` builds every config without a ``runner_type`` with
    this runner. Another entry point (mmpretrain's ``tools/train.py``) uses
    it with ``runner_type = 'LRScalingRunner'`` in the config; mmengine's
    plain ``Runner`` ignores ``rule`` and scales linearly.
    """

    def scale_lr(self, optim_wrapper: OptimWrapper,
                 auto_scale_lr: Optional[dict] = None) -> None:
        if auto_scale_lr is None or not auto_scale_lr.get('enable', False):
            return
        dataloader = self._train_dataloader
        batch = dataloader.batch_size if isinstance(
            dataloader, DataLoader) else dataloader['batch_size']
        real = self.world_size * batch
        rule = lr_scaling_rule(auto_scale_lr)
        ratio = lr_scale_factor(real, auto_scale_lr)
        self.logger.info(
            f'LR is set for a batch of {auto_scale_lr["base_batch_size"]}; '
            f'the total batch is {real}: the {rule} rule scales the LR by '
            f'{ratio:.6g}.')
        if _is_built(self.param_schedulers):
            raise RuntimeError('scale_lr must run before the parameter '
                               'schedulers are built (they store the lr)')
        wrappers = list(optim_wrapper.values()) if isinstance(
            optim_wrapper, OptimWrapperDict) else [optim_wrapper]
        for wrapper in wrappers:
            for group in wrapper.optimizer.param_groups:
                group['lr'] = group['lr'] * ratio

    def _maybe_compile(self, target: str) -> None:
        """``cfg.compile`` (True, or a dict of ``torch.compile`` keywords)
        compiles the model's forward; mmengine calls this with
        ``'train_step'`` after loading or resuming, before the first
        iteration."""
        compile_model(self.model, self.cfg.get('compile'))

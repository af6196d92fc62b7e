"""mmengine's optimizer constructor with one param group per setting.

With a ``paramwise_cfg``, mmengine's ``DefaultOptimWrapperConstructor`` gives
every parameter a param group of its own (330 groups for SimMIM Swin-B).
torch's ``foreach`` and ``fused`` optimizers batch the update over the tensors
of a group only, so with one tensor per group they fall back to one small
update per parameter. This constructor keeps mmengine's per-parameter
settings and merges the parameters whose settings are equal into one group.
It is registered in mmengine's root ``OPTIM_WRAPPER_CONSTRUCTORS``, so the
mmpretrain / mmseg / mmdet runners all find it.
"""
import inspect
import logging
from typing import Dict, List

from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmengine.registry import (OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS,
                               OPTIMIZERS)
from torch import nn


def merge_param_groups(per_param: List[dict], names: Dict[int, str]
                       ) -> List[dict]:
    """Merge param groups whose settings (every key but ``params``) are
    equal, in order of first appearance.

    Args:
        per_param (list[dict]): Param groups as mmengine builds them.
        names (dict): ``id(param) -> name``, stored in each merged group as
            ``param_names`` (kept by torch's optimizer state dict).

    Returns:
        list[dict]: One group per distinct setting.
    """
    groups: Dict[str, dict] = {}
    for group in per_param:
        settings = {k: v for k, v in group.items() if k != 'params'}
        key = repr(sorted(settings.items()))
        merged = groups.setdefault(
            key, dict(params=[], param_names=[], **settings))
        merged['params'].extend(group['params'])
        merged['param_names'].extend(names[id(p)] for p in group['params'])
    return list(groups.values())


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class GroupedOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """``DefaultOptimWrapperConstructor`` whose parameters with equal
    settings share one param group (see the module doc).

    Each parameter gets exactly the learning rate, weight decay and other
    options mmengine's constructor gives it (``custom_keys``,
    ``*_decay_mult``, ...); only the grouping differs. The groups are logged
    at INFO.

    Example:
        >>> optim_wrapper = dict(
        ...     constructor='GroupedOptimWrapperConstructor',
        ...     optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05,
        ...                    fused=True),
        ...     paramwise_cfg=dict(custom_keys={'norm': dict(
        ...         decay_mult=0.)}))
    """

    def param_groups(self, model: nn.Module) -> List[dict]:
        """The optimizer's param groups for ``model``."""
        per_param: List[dict] = []
        self.add_params(per_param, model)
        names = {id(p): n for n, p in model.named_parameters()}
        groups = merge_param_groups(per_param, names)
        lines = [
            f'  {len(g["params"])} params: ' + ', '.join(
                f'{k}={v}' for k, v in g.items()
                if k not in ('params', 'param_names')) for g in groups
        ]
        print_log(
            f'{len(per_param)} parameters in {len(groups)} param groups:\n' +
            '\n'.join(lines), logger='current', level=logging.INFO)
        return groups

    def __call__(self, model: nn.Module) -> OptimWrapper:
        if hasattr(model, 'module'):
            model = model.module
        optim_wrapper_cfg = self.optim_wrapper_cfg.copy()
        optim_wrapper_cfg.setdefault('type', 'OptimWrapper')
        optimizer_cfg = self.optimizer_cfg.copy()
        optimizer_cls = optimizer_cfg['type']
        if isinstance(optimizer_cls, str):
            with OPTIMIZERS.switch_scope_and_registry(None) as registry:
                optimizer_cls = registry.get(optimizer_cfg['type'])
        first_arg = next(iter(inspect.signature(optimizer_cls).parameters))
        optimizer_cfg[first_arg] = self.param_groups(model)
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        return OPTIM_WRAPPERS.build(
            optim_wrapper_cfg, default_args=dict(optimizer=optimizer))

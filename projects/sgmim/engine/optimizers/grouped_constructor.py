"""mmengine's optimizer constructor with one param group per setting.

With a ``paramwise_cfg``, mmengine's ``DefaultOptimWrapperConstructor`` gives
every parameter a param group of its own (330 groups for SimMIM Swin-B).
torch's ``foreach`` and ``fused`` optimizers batch the update over the tensors
of a group only, so with one tensor per group they fall back to one small
update per parameter. This constructor keeps mmengine's per-parameter
settings and merges the parameters whose settings are equal into one group.
It also exempts parameters from weight decay by their real names
(``no_decay_names``) and shape (``no_decay_flat``): mmengine's
``custom_keys`` match substrings, and a list written for one encoder's names
(Swin's ``norm``) silently misses another's (ViT's ``ln1``/``ln2``/
``pre_norm``, SwinV2's ``cpb_mlp``/``logit_scale``). It is registered in mmengine's root ``OPTIM_WRAPPER_CONSTRUCTORS``, so the
mmpretrain / mmseg / mmdet runners all find it.
"""
import inspect
import logging
from typing import Dict, List, Optional

import torch
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

    Weight-decay exemptions by name and shape: a parameter that neither
    ``custom_keys`` nor mmengine's ``*_decay_mult`` options set a decay for
    gets weight decay 0 if it is 1-D (biases and norm weights, with
    ``no_decay_flat=True``) or one of the dot-separated components of its
    name is in ``no_decay_names`` (e.g. ``pos_embed``, ``cls_token``,
    ``mask_token``, ``relative_position_bias_table``, ``cpb_mlp``,
    ``logit_scale``); the optimizer's ``weight_decay`` otherwise.

    Args:
        optim_wrapper_cfg (dict): As for ``DefaultOptimWrapperConstructor``.
        paramwise_cfg (dict, optional): mmengine's paramwise options plus
            ``no_decay_names`` (tuple of str, default
            ``self.default_no_decay_names``: none here) and
            ``no_decay_flat`` (bool, default ``self.default_no_decay_flat``:
            False here).

    Example:
        >>> optim_wrapper = dict(
        ...     constructor='GroupedOptimWrapperConstructor',
        ...     optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05,
        ...                    fused=True),
        ...     paramwise_cfg=dict(no_decay_flat=True,
        ...                        no_decay_names=('pos_embed', 'cls_token')))
    """

    default_no_decay_names: tuple = ()
    default_no_decay_flat: bool = False

    def __init__(self, optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None):
        paramwise_cfg = dict(paramwise_cfg or {})
        self.no_decay_names = tuple(
            paramwise_cfg.pop('no_decay_names', self.default_no_decay_names))
        self.no_decay_flat = bool(
            paramwise_cfg.pop('no_decay_flat', self.default_no_decay_flat))
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

    def is_no_decay(self, name: str, param: torch.Tensor) -> bool:
        """Whether the name/shape rule gives ``name`` weight decay 0."""
        if self.no_decay_flat and param.ndim <= 1:
            return True
        return any(part in self.no_decay_names for part in name.split('.'))

    def exempt_from_decay(self, per_param: List[dict],
                          names: Dict[int, str]) -> None:
        """Set ``weight_decay`` of every one-parameter group in
        ``per_param`` that ``custom_keys`` and the ``*_decay_mult`` options
        left alone: 0 where :meth:`is_no_decay`, else the optimizer's."""
        if not (self.no_decay_flat or self.no_decay_names):
            return
        custom_keys = self.paramwise_cfg.get('custom_keys', {})
        for group in per_param:
            (param, ) = group['params']
            name = names[id(param)]
            if 'weight_decay' in group or any(key in name
                                              for key in custom_keys):
                continue
            if self.is_no_decay(name, param):
                group['weight_decay'] = 0.
            elif self.base_wd is not None:
                group['weight_decay'] = self.base_wd

    def param_groups(self, model: nn.Module) -> List[dict]:
        """The optimizer's param groups for ``model``."""
        per_param: List[dict] = []
        self.add_params(per_param, model)
        names = {id(p): n for n, p in model.named_parameters()}
        self.exempt_from_decay(per_param, names)
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

"""Step a config's ``param_scheduler`` through its whole schedule, as
mmengine's runner would, on a dummy optimizer (for the recipe tests)."""
from typing import List, Sequence

import torch
from mmengine.registry import PARAM_SCHEDULERS, init_default_scope


def build_schedulers(scheduler_cfgs: Sequence[dict], optimizer,
                     epoch_length: int) -> list:
    """mmengine Runner's ``build_param_scheduler``: ``convert_to_iter_based``
    configs are built by ``build_iter_from_epoch`` with the epoch length."""
    schedulers = []
    for cfg in scheduler_cfgs:
        cfg = dict(cfg)
        cfg.pop('_scope_', None)
        scheduler_cls = PARAM_SCHEDULERS.get(cfg.pop('type'))
        if cfg.pop('convert_to_iter_based', False):
            schedulers.append(scheduler_cls.build_iter_from_epoch(
                optimizer, **cfg, epoch_length=epoch_length))
        else:
            schedulers.append(scheduler_cls(optimizer, **cfg))
    return schedulers


def lr_trace(cfg, epoch_length: int, scales: Sequence[float] = (1., )
             ) -> List[List[float]]:
    """The learning rate each training iteration of ``cfg`` uses, for param
    groups whose initial lr is ``optimizer.lr × scale`` (a layer-decay
    constructor's groups).

    The loop follows mmengine's ``ParamSchedulerHook``: schedulers with
    ``by_epoch=False`` step after every iteration, the others after every
    ``epoch_length`` iterations.

    Returns:
        list[list[float]]: ``trace[t][g]``, iteration t, group g.
    """
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    base_lr = cfg.optim_wrapper.optimizer.lr
    optimizer = torch.optim.SGD(
        [dict(params=[torch.nn.Parameter(torch.zeros(1))], lr=base_lr * s)
         for s in scales], lr=base_lr)
    loop = cfg.train_cfg
    if 'max_epochs' in loop:
        total = loop.max_epochs * epoch_length
    else:
        total = loop.max_iters
    schedulers = build_schedulers(cfg.param_scheduler, optimizer,
                                  epoch_length)
    by_iter = [s for s in schedulers if not s.by_epoch]
    by_epoch = [s for s in schedulers if s.by_epoch]
    if by_epoch and 'max_epochs' not in loop:
        raise ValueError('epoch-based scheduler in an iteration-based loop')
    trace = []
    for t in range(total):
        trace.append([g['lr'] for g in optimizer.param_groups])
        for scheduler in by_iter:
            scheduler.step()
        if (t + 1) % epoch_length == 0:
            for scheduler in by_epoch:
                scheduler.step()
    return trace

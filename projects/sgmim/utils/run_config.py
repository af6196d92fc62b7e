"""Config editing shared by ``tools/train.py``, ``tools/test.py`` and the
benchmarks.

One entry serves mmpretrain, mmseg and mmdet configs: the library is the
config's ``default_scope``. The command-line options follow the three
libraries' own ``tools/train.py`` / ``tools/test.py``.
"""
import logging
import os
import os.path as osp

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from .cfg_options import RULES_HELP, CfgOptionsAction, merge_cfg_options
from .data_root import set_data_root

SCOPES = ('mmpretrain', 'mmseg', 'mmdet')
LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')
AMP_DTYPES = ('float16', 'bfloat16')
NO_LOSS_SCALE = dict(enabled=False)  # GradScaler(enabled=False)


def add_common_args(parser) -> None:
    """Options both entry points take."""
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='directory for logs and checkpoints')
    parser.add_argument(
        '--cfg-options', nargs='+', action=CfgOptionsAction,
        help='override config keys, e.g. model.backbone.depth=18 '
        f'train_dataloader.batch_size=4 (lists: key="[a,b]"); {RULES_HELP}')
    parser.add_argument(
        '--data-root', metavar='DIR',
        help='data_root of every dataset (through wrappers) and evaluator '
        'ann_file paths under the old root')
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none',
                        help='job launcher')
    # torchrun passes LOCAL_RANK in the environment; torch.distributed.launch
    # passes --local-rank / --local_rank.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(path: str, cfg_options=None, data_root=None) -> Config:
    """Read ``path``, apply ``--data-root`` then ``--cfg-options`` (which so
    win); the scope must be known."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    if data_root is not None:
        set_data_root(cfg, data_root)
    merge_cfg_options(cfg, cfg_options)
    scope = cfg.get('default_scope')
    if scope not in SCOPES:
        raise ValueError(f'{path}: default_scope must be one of {SCOPES} '
                         f'(it selects the library), got {scope!r}')
    return cfg


def set_work_dir(cfg: Config, work_dir, config_path: str) -> None:
    """``--work-dir`` > the config's ``work_dir`` > ``work_dirs/<name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        name = osp.splitext(osp.basename(config_path))[0]
        cfg.work_dir = osp.join('./work_dirs', name)


def set_launcher(cfg: Config, launcher: str) -> None:
    """Set the launcher; without CUDA run distributed jobs on gloo/CPU.

    mmengine's ``pytorch`` launcher calls ``torch.cuda.set_device`` and wraps
    the model with ``device_ids=[LOCAL_RANK]``; both fail on a CPU machine, so
    there the process group is initialised here and DDP gets no device ids.
    """
    cfg.launcher = launcher
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = '0'
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise ValueError(f'launcher {launcher!r} needs CUDA; on a CPU machine '
                         "use --launcher pytorch (torchrun) or 'none'")
    cfg.setdefault('env_cfg', {})
    cfg.env_cfg.setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def leave_distributed() -> None:
    """Leave the job's process group once every rank is done (no-op
    outside one): a barrier, so that no rank tears down while another still
    communicates, then ``destroy_process_group``. Left alive, gloo's threads
    can outlive the interpreter and abort the process at exit ("terminate
    called without an active exception", seen on a 2-process CPU run)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def apply_amp(cfg, dtype: str = 'float16') -> None:
    """``--amp [dtype]``: switch the optimizer wrapper to mmengine's
    ``AmpOptimWrapper`` autocasting to ``dtype``: float16 with the config's
    loss scaling (dynamic when it has none), or bfloat16, which has
    float32's exponent range and so no loss scaling (nor its skipping of
    steps with inf / NaN gradients)."""
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
        raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper or '
                         f'AmpOptimWrapper, got {wrapper!r}')
    if wrapper == 'AmpOptimWrapper' and cfg.optim_wrapper.get(
            'dtype', 'float16') == dtype:
        print_log('AMP is already enabled in the config.', logger='current',
                  level=logging.WARNING)
        return
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.dtype = dtype
    if dtype == 'bfloat16':
        cfg.optim_wrapper.loss_scale = dict(NO_LOSS_SCALE)
    elif cfg.optim_wrapper.get('loss_scale') in (None, NO_LOSS_SCALE):
        cfg.optim_wrapper.loss_scale = 'dynamic'


def build_runner(cfg: Config) -> Runner:
    """Build the config's runner: ``runner_type`` if given, else
    :class:`~sgmim.engine.runners.LRScalingRunner` (mmengine's ``Runner``
    with ``auto_scale_lr.rule``).

    Raises:
        ValueError: ``auto_scale_lr.rule`` is unknown, or is not
            ``'linear'`` while ``runner_type`` names a runner that would
            ignore it; or ``compile`` is on with such a runner (mmengine's
            would compile ``train_step``: see
            ``sgmim.engine.runners.model_compile``).
        KeyError: ``compile`` holds a key that is not a ``torch.compile``
            keyword.
    """
    from sgmim.engine.runners import (LRScalingRunner, compile_options,
                                      lr_scaling_rule)
    auto_scale_lr = cfg.get('auto_scale_lr')
    rule = lr_scaling_rule(auto_scale_lr)
    compiled = compile_options(cfg.get('compile')) is not None
    if 'runner_type' not in cfg:
        return LRScalingRunner.from_cfg(cfg)
    runner_cls = RUNNERS.get(cfg.runner_type)
    ours = isinstance(runner_cls, type) and issubclass(runner_cls,
                                                       LRScalingRunner)
    if (rule != 'linear' and (auto_scale_lr or {}).get('enable', False)
            and not ours):
        raise ValueError(
            f'auto_scale_lr.rule={rule!r} needs a runner derived from '
            f'LRScalingRunner; runner_type={cfg.runner_type!r} scales '
            'linearly')
    if compiled and not ours:
        raise ValueError(
            f'compile needs a runner derived from LRScalingRunner; '
            f'runner_type={cfg.runner_type!r} would compile train_step, '
            'optimizer step included')
    return RUNNERS.build(cfg)

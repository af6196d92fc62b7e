"""Train any sgmim config: mmpretrain, mmseg or mmdet (by ``default_scope``).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [auto|PATH]]
        [--amp [float16|bfloat16]] [--compile] [--auto-scale-lr]
        [--data-root DIR] [--cfg-options k=v ...]
        [--launcher none|pytorch|slurm|mpi]

``--cfg-options`` refuses a key that is not in the config (``+k=v`` adds
one: see ``sgmim.utils.cfg_options``); ``--data-root`` moves every dataset
(``sgmim.utils.data_root``).
"""
import argparse

import project_python  # noqa: F401  before mmengine: may re-run in .venv

import sgmim  # noqa: F401  registers components, safe loading, sgmim::
from sgmim.engine.runners import lr_scaling_rule

from sgmim.utils.run_config import (AMP_DTYPES, add_common_args,
                                    apply_amp, build_runner,
                                    leave_distributed, load_config,
                                    set_launcher, set_work_dir)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    add_common_args(parser)
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from PATH, or from the latest checkpoint of the work '
        'directory when no PATH is given')
    parser.add_argument(
        '--amp', nargs='?', const='float16', choices=AMP_DTYPES,
        help='automatic mixed precision, float16 (the default: dynamic '
        'loss scaling) or bfloat16 (no loss scaling), through '
        "mmengine's AmpOptimWrapper; on a config that is AMP already it "
        'sets the autocast dtype')
    parser.add_argument(
        '--compile', action='store_true',
        help="torch.compile the model's forward (the config's compile "
        'dict, if any, gives the keywords; see '
        'sgmim.engine.runners.model_compile)')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='scale the lr by total batch / auto_scale_lr.base_batch_size '
        "(auto_scale_lr.rule='linear', the default) or by its square root "
        "(rule='sqrt', LUT's)")
    parser.add_argument('--no-validate', action='store_true',
                        help='skip validation during training')
    return parser.parse_args(argv)


def apply_compile(cfg) -> None:
    """``--compile``: the config's ``compile`` dict, or ``True``."""
    if not cfg.get('compile'):
        cfg.compile = True


def apply_auto_scale_lr(cfg, config_path: str) -> None:
    """Turn ``auto_scale_lr`` on; its ``rule`` (``linear``, default, or
    ``sqrt``) is checked here, before anything is built."""
    if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
        raise KeyError(f'{config_path}: --auto-scale-lr needs '
                       'auto_scale_lr.base_batch_size in the config')
    try:
        lr_scaling_rule(cfg.auto_scale_lr)
    except ValueError as err:
        raise ValueError(f'{config_path}: {err}') from None
    cfg.auto_scale_lr.enable = True


def apply_resume(cfg, resume) -> None:
    """``--resume`` alone: latest checkpoint of work_dir; with PATH: that."""
    if resume is None:
        return
    cfg.resume = True
    cfg.load_from = None if resume == 'auto' else resume


def apply_no_validate(cfg) -> None:
    for key in ('val_cfg', 'val_dataloader', 'val_evaluator'):
        cfg[key] = None


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.data_root)
    set_launcher(cfg, args.launcher)
    set_work_dir(cfg, args.work_dir, args.config)
    if args.amp:
        apply_amp(cfg, args.amp)
    if args.compile:
        apply_compile(cfg)
    if args.auto_scale_lr:
        apply_auto_scale_lr(cfg, args.config)
    apply_resume(cfg, args.resume)
    if args.no_validate:
        apply_no_validate(cfg)
    runner = build_runner(cfg)
    runner.train()
    leave_distributed()


if __name__ == '__main__':
    main()

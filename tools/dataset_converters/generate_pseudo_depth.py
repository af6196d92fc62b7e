"""Predict SG-MIM pseudo-depth maps with any mmseg depth estimator.

    python tools/dataset_converters/generate_pseudo_depth.py CONFIG CHECKPOINT
        --img-dir DIR --out-dir DIR [--batch-size N] [--ext .png|.npy]
        [--scale 1000] [--overwrite] [--skip-bad] [--num-workers N]
        [--device DEV] [--cfg-options k=v ...] [--launcher none|pytorch]

Every image under ``--img-dir`` (recursive; .jpg/.jpeg/.png, any case) gets
a map under ``--out-dir`` with the same relative path and the extension
replaced: a 16-bit PNG of ``round(depth_m * scale)`` (millimetres by
default, 0 = invalid) or a float32 ``.npy`` of metres. Existing maps are
skipped, so an interrupted run is resumed by running it again. Several
processes share the work under torchrun::

    python -m torch.distributed.run --nproc_per_node 8 \\
        tools/dataset_converters/generate_pseudo_depth.py CONFIG CKPT \\
        --img-dir data/imagenet/train \\
        --out-dir data/imagenet/pseudo_depth/train --launcher pytorch
"""
import argparse

from mmengine.dist import is_main_process

import sgmim  # noqa: F401  registers components, safe checkpoint loading
from sgmim.datasets.pseudo_depth_writer import (MAP_EXTENSIONS, default_device,
                                                generate_pseudo_depth,
                                                init_depth_model,
                                                init_distributed,
                                                sigterm_as_exit)
from sgmim.utils.cfg_options import RULES_HELP, CfgOptionsAction
from sgmim.utils.run_config import (LAUNCHERS, leave_distributed,
                                    load_config)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Write a pseudo-depth map for every image of a folder')
    parser.add_argument('config', help='mmseg depth estimator config')
    parser.add_argument('checkpoint', help='checkpoint of that model')
    parser.add_argument('--img-dir', required=True,
                        help='folder searched recursively for images')
    parser.add_argument('--out-dir', required=True,
                        help='root of the parallel folder of maps')
    parser.add_argument('--batch-size', type=int, default=1,
                        help='images per forward pass')
    parser.add_argument('--ext', choices=MAP_EXTENSIONS, default='.png',
                        help='.png: uint16 depth*scale; .npy: float32 metres')
    parser.add_argument(
        '--scale', type=float, default=1000.0,
        help='PNG units per metre (1000: millimetres, saturating at '
        '65.535 m; use e.g. 256 for outdoor scenes)')
    parser.add_argument('--overwrite', action='store_true',
                        help='rewrite maps that already exist')
    parser.add_argument(
        '--skip-bad', action='store_true',
        help='log unreadable images and go on instead of stopping')
    parser.add_argument('--num-workers', type=int, default=2,
                        help='processes decoding images per rank')
    parser.add_argument(
        '--device', default=None,
        help='e.g. cpu or cuda:0 (default: cuda:LOCAL_RANK if available)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=CfgOptionsAction,
        help='override config keys, e.g. model.test_cfg.mode=whole '
        f'({RULES_HELP})')
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none',
                        help='job launcher')
    # torch.distributed.launch passes --local-rank / --local_rank.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    init_distributed(cfg, args.launcher)
    device = args.device or default_device()
    model = init_depth_model(cfg, args.checkpoint, device=device)
    with sigterm_as_exit():
        counts = generate_pseudo_depth(model, args.img_dir, args.out_dir,
                                       batch_size=args.batch_size,
                                       ext=args.ext, scale=args.scale,
                                       overwrite=args.overwrite,
                                       skip_bad=args.skip_bad,
                                       num_workers=args.num_workers)
    if is_main_process():
        print(f'pseudo-depth maps in {args.out_dir}: {counts}')
    leave_distributed()


if __name__ == '__main__':
    main()

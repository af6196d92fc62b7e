"""Convert a published checkpoint to this project's layout.

    python tools/model_converters/convert_published.py SRC DST \
        --format {simmim,sgmim,mae,lut} (--config CFG | --arch NAME) \
        [--out-prefix backbone.] [--ema] [--allow-missing] [--allow-unexpected]

Formats: ``simmim`` official SimMIM Swin / SwinV2 / ViT, ``sgmim`` SG-MIM
authors' (encoder only), ``mae`` official MAE ViT (encoder only), ``lut``
the LUT authors' code (naver-ai/lut): the whole model -- encoder, MAE
decoder, projector and predictor -- as our ``LUT`` model's ``backbone.*``,
``neck.*``, ``projector.*``, ``predictor.*``, from the checkpoint's
``model`` entry or, with ``--ema``, its ``model_ema`` (keys ``ema.*``). A
``lut`` key outside the authors' layout is an error that lists every such
key. The target backbone is built from ``model.backbone`` of CFG or from
NAME (``swin-base``, ``swinv2-base``, ``vit-base``, ...) and compared with
the converted encoder; missing and unexpected keys are printed, and the
tool exits non-zero on any shape mismatch, and on missing / unexpected keys
unless allowed (a missing or extra ``mask_token`` is always allowed). Output
keys of the encoder-only formats are prefixed with ``--out-prefix`` (default
``backbone.``, matching the benchmark configs' ``init_cfg=dict(type=
'Pretrained', prefix='backbone.')``; pass ``''`` for bare keys); ``lut``
keeps its module prefixes, which the benchmark configs read as well. The
file is written atomically.
"""
import argparse
import os.path as osp
import sys

import torch

import sgmim  # noqa: F401  safe checkpoint loading, registries
from sgmim.utils.checkpoint_conversion import (BENIGN_KEYS,
                                               LUT_ENCODER_PREFIX,
                                               SOURCE_FORMATS,
                                               ShapeMismatchError, add_prefix,
                                               build_target_backbone,
                                               compare_with_target,
                                               convert_published,
                                               save_checkpoint_atomic,
                                               strip_prefix)
from sgmim.utils.checkpoint_loading import load_checkpoint_file


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='published checkpoint')
    parser.add_argument('dst', help='output checkpoint')
    parser.add_argument('--format', required=True, choices=SOURCE_FORMATS)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument('--config', help='config whose model.backbone is '
                        'the target')
    target.add_argument('--arch', help='target by name: swin-<arch>, '
                        'swinv2-<arch>, vit-<arch> (mmpretrain arch names)')
    parser.add_argument('--out-prefix', default=None,
                        help="prefix of the output keys (default "
                        "'backbone.'; not with --format lut)")
    parser.add_argument('--ema', action='store_true',
                        help='--format lut: convert the model_ema entry '
                        '(the EMA weights) instead of model')
    parser.add_argument('--allow-missing', action='store_true',
                        help='write even if target keys are missing')
    parser.add_argument('--allow-unexpected', action='store_true',
                        help='write even if converted keys are unknown to '
                        'the target (they are kept in the output)')
    return parser.parse_args(argv)


def _report(title, keys):
    print(f'{title}: {len(keys)}')
    for key in keys:
        print(f'  {key}')


def main(argv=None):
    args = parse_args(argv)
    whole_model = args.format == 'lut'
    if args.ema and not whole_model:
        sys.exit('error: --ema applies to --format lut only')
    if whole_model and args.out_prefix is not None:
        sys.exit('error: --out-prefix does not apply to --format lut (the '
                 'output keeps the model prefixes backbone., neck., ...)')
    # MAE-style training checkpoints (LUT's too) store the argparse
    # Namespace of the run under 'args': a data-only type, allowed here.
    with torch.serialization.safe_globals([argparse.Namespace]):
        checkpoint = load_checkpoint_file(args.src, map_location='cpu')
    try:
        state_dict, dropped = convert_published(checkpoint, args.format,
                                                ema=args.ema)
    except KeyError as err:
        sys.exit(f'error: {args.src} is not a {args.format} checkpoint: '
                 f'{err.args[0]}')
    target = build_target_backbone(args.config, args.arch).state_dict()
    encoder = (strip_prefix(state_dict, LUT_ENCODER_PREFIX)
               if whole_model else state_dict)
    try:
        missing, unexpected = compare_with_target(encoder, target)
    except ShapeMismatchError as err:
        sys.exit(f'error: {err}')
    print(f'converted {len(state_dict)} entries, dropped {len(dropped)} '
          'source entries')
    _report('missing keys', missing)
    _report('unexpected keys', unexpected)
    missing = [k for k in missing if k not in BENIGN_KEYS]
    unexpected = [k for k in unexpected if k not in BENIGN_KEYS]
    if (missing and not args.allow_missing) or (unexpected
                                                and not args.allow_unexpected):
        sys.exit('error: key mismatch against the target (see above); pass '
                 '--allow-missing / --allow-unexpected to write anyway')
    meta = dict(source=osp.abspath(args.src), format=args.format,
                converter='convert_published', target=args.config or args.arch)
    if whole_model:
        meta['entry'] = 'model_ema' if args.ema else 'model'
    else:
        prefix = 'backbone.' if args.out_prefix is None else args.out_prefix
        state_dict = add_prefix(state_dict, prefix)
    save_checkpoint_atomic(dict(state_dict=state_dict, meta=meta), args.dst)
    print(f'saved {args.dst}')


if __name__ == '__main__':
    main()

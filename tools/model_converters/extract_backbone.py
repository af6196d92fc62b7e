"""Keep the backbone of one of our pre-training checkpoints.

    python tools/model_converters/extract_backbone.py IN OUT \
        [--prefix backbone.] [--drop mask_token [NAME ...]] [--strip-prefix]

Writes ``{'state_dict': ..., 'meta': {...}}`` atomically. By default the keys
keep ``backbone.``, the layout of a full checkpoint, so OUT loads wherever
the checkpoint did: ``--cfg-options model.backbone.init_cfg.checkpoint=OUT``
in every transfer config (``prefix='backbone.'``), also with mmengine's own
``Pretrained``. ``--strip-prefix`` writes bare encoder keys (our transfer
configs load those too; plain ``load_state_dict`` into a backbone needs them).
"""
import argparse
import os.path as osp
import sys

import sgmim  # noqa: F401  safe checkpoint loading
from sgmim.utils.checkpoint_conversion import (extract_backbone,
                                               save_checkpoint_atomic,
                                               unwrap_state_dict)
from sgmim.utils.checkpoint_loading import load_checkpoint_file


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='pre-training checkpoint')
    parser.add_argument('dst', help='output backbone checkpoint')
    parser.add_argument('--prefix', default='backbone.',
                        help='prefix of the backbone entries')
    parser.add_argument('--drop', nargs='*', default=['mask_token'],
                        help='pre-training-only backbone entries to drop '
                        '(names after the prefix)')
    parser.add_argument('--strip-prefix', action='store_true',
                        help='remove the prefix from the output keys')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    checkpoint = load_checkpoint_file(args.src, map_location='cpu')
    state_dict = unwrap_state_dict(checkpoint, ('state_dict', ))
    try:
        kept, dropped = extract_backbone(state_dict, args.prefix, args.drop,
                                         keep_prefix=not args.strip_prefix)
    except KeyError as err:
        sys.exit(f'error: {args.src}: {err.args[0]}')
    meta = dict(source=osp.abspath(args.src), converter='extract_backbone',
                prefix=args.prefix, dropped=args.drop,
                keep_prefix=not args.strip_prefix)
    if isinstance(checkpoint.get('meta'), dict):
        meta['source_meta'] = checkpoint['meta']
    save_checkpoint_atomic(dict(state_dict=kept, meta=meta), args.dst)
    print(f'kept {len(kept)} entries, dropped {len(dropped)} -> {args.dst}')


if __name__ == '__main__':
    main()

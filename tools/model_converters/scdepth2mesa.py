"""Convert a published SC-Depth checkpoint (V1, V2 or V3) to a MeSa stage.

    python tools/model_converters/scdepth2mesa.py SRC DST --config CFG
        [--parts depth pose rectify] [--allow-missing]

SC-Depth (JiawangBian/sc_depth_pl) saves PyTorch-Lightning checkpoints
whose ``state_dict`` holds ``depth_net.*`` (ResNet encoder + Monodepth2
decoder), ``pose_net.*`` and, for V2, ``rectify_net.*``
(``sgmim.utils.scdepth_conversion``). ``--parts`` picks the networks
(default: every one the checkpoint has). The converted keys are compared
with the model of CFG's ``model`` (a MeSa stage: ``MeSaGeometric`` or
``MeSaSupervised``), restricted to the parts asked for: ``depth`` is the
``backbone.*`` and ``decoder.*`` of a ResNet stage such as
``configs/mesa/scdepthv2_resnet18_1xb8-adam-100k_nyu-raw-256x320.py``,
``pose`` and ``rectify`` the frame-pair nets of any stage (SC-Depth's
trained pose net for a SwinV2 MeSa stage 2: ``--parts pose``). Missing and
unexpected keys are printed; a shape mismatch, an unexpected key or (unless
``--allow-missing``) a missing one is an error, and nothing is written.
The output (``state_dict`` with our keys) loads with ``load_from=DST`` (the
keys of the other parts keep the config's initialisation); it is written
atomically.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import Config
from mmengine.registry import init_default_scope

import sgmim  # noqa: F401  safe checkpoint loading, registries
from sgmim.utils.checkpoint_conversion import (ShapeMismatchError,
                                               UnknownKeysError,
                                               compare_with_target,
                                               save_checkpoint_atomic)
from sgmim.utils.checkpoint_loading import load_checkpoint_file
from sgmim.utils.scdepth_conversion import (SCDEPTH_PARTS, convert_scdepth,
                                            scdepth_parts)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='SC-Depth checkpoint (.ckpt)')
    parser.add_argument('dst', help='output checkpoint')
    parser.add_argument('--config', required=True,
                        help='MeSa stage config whose model is the target')
    parser.add_argument('--parts', nargs='+', choices=list(SCDEPTH_PARTS),
                        help='networks to convert (default: all in SRC)')
    parser.add_argument('--allow-missing', action='store_true',
                        help='write even if target keys of the parts are '
                        'missing')
    return parser.parse_args(argv)


def target_state_dict(config: str, parts) -> dict:
    """The state dict of CFG's model, restricted to the parts' prefixes
    (its frame-pair nets built without their ImageNet weights)."""
    cfg = Config.fromfile(config)
    for net in ('pose_net', 'rectify_net'):
        if cfg.model.get(net) is not None:
            cfg.model[net]['pretrained'] = None
    init_default_scope(cfg.get('default_scope') or 'mmpretrain')
    from mmpretrain.registry import MODELS
    prefixes = tuple(p for part in parts for p in SCDEPTH_PARTS[part][1])
    return {k: v for k, v in MODELS.build(cfg.model).state_dict().items()
            if k.startswith(prefixes)}


def main(argv=None):
    args = parse_args(argv)
    checkpoint = load_checkpoint_file(args.src, map_location='cpu')
    parts = args.parts or scdepth_parts(checkpoint)
    try:
        converted, dropped = convert_scdepth(checkpoint, parts)
    except (KeyError, UnknownKeysError) as err:
        sys.exit(f'error: {args.src}: {err}')
    target = target_state_dict(args.config, parts)
    try:
        missing, unexpected = compare_with_target(converted, target)
    except ShapeMismatchError as err:
        sys.exit(f'error: {args.src} against {args.config}: {err}')
    print(f'converted {len(converted)} entries ({", ".join(parts)}), '
          f'dropped {len(dropped)} source entries')
    for title, keys in (('missing keys', missing),
                        ('unexpected keys', unexpected)):
        print(f'{title}: {len(keys)}')
        for key in keys:
            print(f'  {key}')
    if unexpected or (missing and not args.allow_missing):
        sys.exit(f'error: key mismatch against the model of {args.config} '
                 '(see above); nothing written')
    meta = dict(source=osp.abspath(args.src), format='scdepth',
                converter='scdepth2mesa', parts=list(parts),
                target=args.config)
    save_checkpoint_atomic(dict(state_dict=converted, meta=meta), args.dst)
    print(f'saved {args.dst}')


if __name__ == '__main__':
    main()

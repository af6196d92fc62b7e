"""Command line: ``python -m sgmim.datasets.synthscenes --out DIR``."""
import argparse
import json
import sys
import time

from .generate import DEFAULT_SUBSETS, OPTIONAL_SUBSETS, SUBSETS, generate
from .render import TEXTURE_SPACES


def build_parser():
    parser = argparse.ArgumentParser(
        prog='python -m sgmim.datasets.synthscenes',
        description='Generate SynthScenes, procedural ray-cast rooms written '
        'in ImageNet / ADE20K / COCO / NYUv2 / KITTI / SC-Depth / iBims-1 '
        'layouts.')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--subsets', default=','.join(DEFAULT_SUBSETS),
        help=f'comma separated subset names of {",".join(SUBSETS)}, or '
        f'"all" (default: all but {",".join(OPTIONAL_SUBSETS)})')
    parser.add_argument('--num-pretrain', type=int, default=128)
    parser.add_argument('--num-pretrain-val', type=int, default=32)
    parser.add_argument('--num-train', type=int, default=48)
    parser.add_argument('--num-val', type=int, default=16)
    parser.add_argument('--num-trajectories', type=int, default=4)
    parser.add_argument('--num-val-trajectories', type=int, default=1)
    parser.add_argument('--trajectory-length', type=int, default=6)
    parser.add_argument('--num-ibims', type=int, default=4,
                        help='images of the optional ibims subset')
    parser.add_argument('--img-size', type=int, nargs=2, metavar=('W', 'H'),
                        help='image size of every subset')
    parser.add_argument('--size', type=str, nargs=3, action='append',
                        default=[], metavar=('SUBSET', 'W', 'H'),
                        help='image size of one subset (repeatable)')
    parser.add_argument('--pretrain-size-range', type=int, nargs=2,
                        default=(96, 128), metavar=('MIN', 'MAX'))
    parser.add_argument('--min-objects', type=int, default=3)
    parser.add_argument('--max-objects', type=int, default=7)
    parser.add_argument('--min-visible-area', type=int, default=16)
    parser.add_argument(
        '--texture-space', choices=TEXTURE_SPACES, default='surface',
        help='where albedo patterns are evaluated: on the surfaces (metric, '
        'they foreshorten with depth) or fixed to the image ("screen": '
        'texture carries no depth cue; frames of a trajectory then break '
        'photometric consistency)')
    parser.add_argument('--workers', type=int, default=1)
    parser.add_argument('--quiet', action='store_true',
                        help='no progress bar')
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        manifest = generate(
            args.out, seed=args.seed, subsets=args.subsets,
            num_pretrain=args.num_pretrain,
            num_pretrain_val=args.num_pretrain_val,
            num_train=args.num_train, num_val=args.num_val,
            num_trajectories=args.num_trajectories,
            num_val_trajectories=args.num_val_trajectories,
            trajectory_length=args.trajectory_length,
            num_ibims=args.num_ibims,
            img_size=args.img_size,
            sizes={name: (w, h) for name, w, h in args.size},
            pretrain_size_range=tuple(args.pretrain_size_range),
            min_objects=args.min_objects, max_objects=args.max_objects,
            min_visible_area=args.min_visible_area,
            texture_space=args.texture_space, workers=args.workers,
            show_progress=not args.quiet)
    except ValueError as error:
        parser.error(str(error))
    print(f'wrote {manifest["num_views"]} views to {args.out} in '
          f'{time.perf_counter() - start:.1f} s', file=sys.stderr)
    print(json.dumps(manifest['counts'], sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Prepare NYUv2 (labeled, official split) in mmseg's ``NYUDataset`` layout.

    python tools/dataset_converters/prepare_nyu.py \
        nyu_depth_v2_labeled.mat splits.mat [-o data/nyu] [--no-progress]

This is the 795/654 labeled split that the
``configs/benchmarks/glpdepth/*_nyu-labeled795-480x480.py`` config reads. The
NYU configs train on the 24231-frame BTS split by default
(``configs/_base_/datasets/nyu_depth_480x480.py``): prepare that one with
``prepare_nyu_sync.py``. The official labeled ``.mat`` is MATLAB v7.3 and
needs ``h5py``. For the BTS-preprocessed ``nyu.zip`` use mmseg's
``tools/dataset_converters/nyu.py`` instead. See
:mod:`sgmim.datasets.preparation.nyu` for the layouts.
"""
import argparse
import sys

from sgmim.datasets.preparation import prepare_nyu


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('labeled_mat', help='nyu_depth_v2_labeled.mat')
    parser.add_argument('splits_mat', help='splits.mat (trainNdxs/testNdxs)')
    parser.add_argument('-o', '--out-dir', default='data/nyu')
    parser.add_argument('--no-progress', action='store_true')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        counts = prepare_nyu(args.labeled_mat, args.splits_mat, args.out_dir,
                             progress=not args.no_progress)
    except (FileNotFoundError, ImportError, KeyError, IndexError,
            NotImplementedError) as err:
        sys.exit(f'error: {err}')
    for split, count in counts.items():
        print(f'{split}: {count} samples -> {args.out_dir}/images/{split}, '
              f'{args.out_dir}/annotations/{split}')


if __name__ == '__main__':
    main()

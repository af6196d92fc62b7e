"""Prepare the KITTI Eigen depth split from the official downloads.

    python tools/dataset_converters/prepare_kitti.py \
        --raw-root RAW --depth-root data_depth_annotated \
        --train-list eigen_train_files.txt --test-list eigen_test_files.txt \
        [-o data/kitti] [--copy] [--no-progress]

See :mod:`sgmim.datasets.preparation.kitti` for the input and output layouts.
"""
import argparse
import sys

from sgmim.datasets.preparation import prepare_kitti


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--raw-root', required=True,
                        help='folder of the <date>/ raw drive folders')
    parser.add_argument('--depth-root', required=True,
                        help='data_depth_annotated (train/ and val/)')
    parser.add_argument('--train-list', required=True,
                        help='Eigen train split list')
    parser.add_argument('--test-list', required=True,
                        help='Eigen test split list')
    parser.add_argument('-o', '--out-dir', default='data/kitti')
    parser.add_argument('--copy', action='store_true',
                        help='copy files instead of symlinking')
    parser.add_argument('--no-progress', action='store_true')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        summary = prepare_kitti(
            args.raw_root, args.depth_root,
            dict(train=args.train_list, test=args.test_list), args.out_dir,
            copy=args.copy, progress=not args.no_progress)
    except (FileNotFoundError, ValueError, KeyError) as err:
        sys.exit(f'error: {err}')
    for split, counts in summary.items():
        print(f'{split}: {counts["frames"]} frames, {counts["with_depth"]} '
              f'with ground-truth depth -> {args.out_dir}/eigen_{split}_'
              'files_with_gt.txt')


if __name__ == '__main__':
    main()

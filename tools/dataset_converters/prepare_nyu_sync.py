"""Prepare NYUv2 with the BTS training split (24231 frames) and the official
654 test images, the split the NYU configs expect by default.

    python tools/dataset_converters/prepare_nyu_sync.py NYU_ROOT \
        --train-list nyudepthv2_train_files_with_gt.txt \
        --test-list nyudepthv2_test_files_with_gt.txt \
        [-o data/nyu_sync] [--link] [--no-progress]

NYU_ROOT is BTS's ``nyu_depth_v2`` folder: ``sync/`` (BTS's ``sync.zip``)
and ``official_splits/test/`` (``--sync-root`` / ``--test-root`` point
elsewhere). The lists are BTS's ``train_test_inputs/nyudepthv2_*`` (or
GLPDepth's two-column ``train_list.txt`` / ``test_list.txt``). The listed
files are copied into ``-o`` (symlinked with ``--link``) and the lists
written there; with ``-o NYU_ROOT`` the tree is only checked and the lists
added. For the 795-image labeled split (mmseg ``NYUDataset`` layout) use
``prepare_nyu.py``. See :mod:`sgmim.datasets.preparation.nyu_sync`.
"""
import argparse
import os.path as osp
import sys

from sgmim.datasets.preparation import NYU_FOCAL, prepare_nyu_sync

#: ``num_train_images`` of configs/_base_/datasets/nyu_depth_480x480.py
BTS_TRAIN_FRAMES = 24231


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0].replace('\n', ' '))
    parser.add_argument(
        'nyu_root', help='folder holding sync/ and official_splits/test/')
    parser.add_argument('--train-list', required=True,
                        help='nyudepthv2_train_files_with_gt.txt')
    parser.add_argument('--test-list', required=True,
                        help='nyudepthv2_test_files_with_gt.txt')
    parser.add_argument('--sync-root',
                        help='training scenes (default: NYU_ROOT/sync)')
    parser.add_argument(
        '--test-root',
        help='test images (default: NYU_ROOT/official_splits/test)')
    parser.add_argument('-o', '--out-dir', default='data/nyu_sync')
    parser.add_argument('--link', action='store_true',
                        help='symlink the files instead of copying them')
    parser.add_argument(
        '--focal', type=float, default=NYU_FOCAL,
        help='focal length of two-column list lines (default: %(default)s)')
    parser.add_argument('--no-progress', action='store_true')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    sync_root = args.sync_root or osp.join(args.nyu_root, 'sync')
    test_root = args.test_root or osp.join(args.nyu_root, 'official_splits',
                                           'test')
    try:
        summary = prepare_nyu_sync(
            sync_root, test_root,
            dict(train=args.train_list, test=args.test_list), args.out_dir,
            link=args.link, progress=not args.no_progress,
            default_focal=args.focal)
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')
    for split, counts in summary.items():
        print(f'{split}: {counts["frames"]} frames from {counts["scenes"]} '
              f'scene folders -> {counts["list"]}')
    frames = summary['train']['frames']
    if frames != BTS_TRAIN_FRAMES:
        print(f'note: the BTS training list has {BTS_TRAIN_FRAMES} frames; '
              f'set num_train_images = {frames} in the dataset config so '
              'that the 25-epoch schedule follows this list')


if __name__ == '__main__':
    main()

"""Draw a grid of SynthScenes views: RGB, depth, pseudo-depth, ADE20K labels
and instances, re-rendered from a generated set's manifest.

    python tools/analysis_tools/browse_synthscenes.py data/synthscenes \
        --subset nyu --split train --num 4 --out docs/synthscenes.png
"""
import argparse
import json
import os.path as osp

import matplotlib
import numpy as np

from sgmim.datasets.synthscenes import MANIFEST_NAME, render_dataset_view
from sgmim.datasets.synthscenes.depthmaps import pseudo_depth

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

COLUMNS = ('RGB', 'depth (m)', 'pseudo-depth (m)', 'ADE20K labels',
           'instances')
CMAPS = {1: 'magma_r', 2: 'magma_r', 3: 'tab10', 4: 'tab10'}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('root', help='a generated SynthScenes folder')
    parser.add_argument('--subset', default='nyu')
    parser.add_argument('--split', default='train')
    parser.add_argument('--num', type=int, default=4)
    parser.add_argument('--out', default='synthscenes.png')
    return parser.parse_args()


def consecutive(labels):
    """Relabel to 0..K-1 so nearby label values get distinct colours."""
    return np.unique(labels, return_inverse=True)[1].reshape(labels.shape)


def panels(view, seed):
    """The images of one row, in COLUMNS order."""
    rng = np.random.default_rng(seed)
    return (view['rgb'], view['depth'], pseudo_depth(view['depth'], rng),
            consecutive(view['semantic']), consecutive(view['instance']))


def main():
    args = parse_args()
    manifest_path = osp.join(args.root, MANIFEST_NAME)
    if not osp.isfile(manifest_path):
        raise FileNotFoundError(f'{manifest_path} not found: generate the set '
                                'with python -m sgmim.datasets.synthscenes')
    with open(manifest_path) as f:
        manifest = json.load(f)
    fig, axes = plt.subplots(args.num, len(COLUMNS), squeeze=False,
                             figsize=(2.6 * len(COLUMNS), 2.1 * args.num))
    for row in range(args.num):
        _, view = render_dataset_view(manifest, args.subset, args.split, row)
        for col, (title, image) in enumerate(zip(COLUMNS, panels(view, row))):
            ax = axes[row, col]
            shown = ax.imshow(image, cmap=CMAPS.get(col),
                              interpolation='nearest')
            if col in (1, 2):
                fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.02)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(title, fontsize=9)
    fig.suptitle(f'SynthScenes {args.subset}/{args.split} '
                 f'(seed {manifest["seed"]})', fontsize=10)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()

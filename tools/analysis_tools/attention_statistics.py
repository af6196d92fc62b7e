"""Attention distance, entropy and head diversity (KL) per layer and head,
on real images (Dark Secrets of Masked Image Modeling, REFERENCE §5).

    python tools/analysis_tools/attention_statistics.py CONFIG CHECKPOINT \\
        [--img-dir DIR] [--num-images 64] [--batch-size 16] \\
        [--layers NAME ...] [--kl-mode pairwise|to_mean] \\
        [--out-dir work_dirs/analysis/attention] [--device cpu] [--seed 0]

The attention each layer applies is recomputed from its own q/k
(``sgmim.analysis.attention_capture``: mmpretrain ViT, Swin and SwinV2
encoders, also inside mmseg/mmdet models); the default layers are all of
them. Per layer and head the statistics are means over every query token of
every image (Swin: over the windows, within the shift regions, padding
excluded; ViT: CLS dropped and rows renormalised).

With ``--large-kernel`` the depthwise kernels of a CNN (RepLKNet) are read
as heads instead, one per channel (``--kernel-normalize softmax|abs``); the
kernels do not depend on the images, which only measure each conv's input
stride (one batch).

Writes ``attention.json`` (one record per layer: module name, per-head
distance in pixels, entropy in nats and KL, their means) and
``attention_distance.png`` (per head vs layer, as the paper's scatter),
``attention_entropy.png`` and ``attention_kl.png``; nothing if the run
fails.
"""
import argparse
from typing import Dict, List

import numpy as np
from mmengine.runner import set_random_seed

from sgmim.analysis.attention import large_kernel_statistics
from sgmim.analysis.attention_capture import (AttentionCapture,
                                              attention_statistics,
                                              default_attention_layers)
from sgmim.analysis.cli import (PreparedModel, add_data_args, add_model_args,
                                check_data_args, model_batches, run_main)
from sgmim.analysis.features import get_module, run_backbone
from sgmim.analysis.images import input_size
from sgmim.analysis.large_kernel import (MIN_KERNEL_SIZE,
                                         default_large_kernel_layers,
                                         depthwise_kernel, input_strides)
from sgmim.analysis.loading import load_model
from sgmim.analysis.outputs import OutputDir
from sgmim.analysis.plotting import new_figure, paper_style, short_name

MEASURES = ('distance', 'entropy', 'kl')
LABELS = dict(distance='attention distance (pixels)',
              entropy='attention entropy (nats)',
              kl='KL divergence between heads (nats)')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_args(parser)
    add_data_args(parser, 'attention')
    parser.add_argument(
        '--kl-mode', choices=('pairwise', 'to_mean'), default='pairwise',
        help='head diversity: mean KL to every other head, or KL to the '
        'mean head (default pairwise)')
    parser.add_argument(
        '--large-kernel', action='store_true',
        help='analyse the depthwise large kernels (RepLKNet) as heads '
        'instead of attention')
    parser.add_argument(
        '--kernel-normalize', choices=('softmax', 'abs'), default='softmax',
        help='kernel to distribution: softmax(w) or |w|/sum|w| (default '
        'softmax)')
    parser.add_argument(
        '--min-kernel-size', type=int, default=MIN_KERNEL_SIZE,
        help='smallest kernel side taken by default with --large-kernel '
        f'(default {MIN_KERNEL_SIZE})')
    return parser.parse_args(argv)


def attention_records(args, prepared: PreparedModel) -> List[Dict]:
    """Per layer, the per-head statistics over all images: the mean of the
    batch results weighted by their query counts (= the full-set mean)."""
    model = prepared.model
    capture = AttentionCapture(model, prepared.layers)
    totals = {name: dict(weight=0, images=0, **{m: 0. for m in MEASURES})
              for name in prepared.layers}
    shifts = {}
    with capture:
        for batch in model_batches(args, prepared, desc='attention'):
            run_backbone(model, batch)
            missing = [n for n in prepared.layers if n not in capture.records]
            if missing:
                raise RuntimeError(f'layers {missing} did not run in the '
                                   'backbone forward')
            for name, record in capture.records.items():
                stats = attention_statistics(record, args.kl_mode)
                total = totals[name]
                for measure in MEASURES:
                    total[measure] = total[measure] + (
                        stats[measure].cpu() * stats['weight'])
                total['weight'] += stats['weight']
                total['images'] += batch.shape[0]
                shifts[name] = record.shift_size
            capture.clear()
    records = []
    for name in prepared.layers:
        module, total = get_module(model, name), totals[name]
        record = dict(name=name, type=type(module).__name__,
                      num_images=total['images'],
                      num_queries=total['weight'])
        if hasattr(module, 'w_msa'):
            record.update(window_size=module.window_size,
                          shift_size=shifts[name])
        records.append(_with_means(
            record, {m: total[m] / total['weight'] for m in MEASURES}))
    return records


def kernel_records(args, prepared: PreparedModel) -> List[Dict]:
    """Per large-kernel layer, per-channel statistics of its kernel."""
    batch = next(model_batches(args, prepared, desc='strides'))
    strides = input_strides(prepared.model, prepared.layers, batch)
    records = []
    for name in prepared.layers:
        weight, dilation = depthwise_kernel(
            get_module(prepared.model, name))
        stats = large_kernel_statistics(weight, strides[name], dilation,
                                        args.kernel_normalize, args.kl_mode)
        records.append(_with_means(
            dict(name=name, type='large_kernel',
                 kernel_size=list(weight.shape[-2:]),
                 input_stride=list(strides[name]), dilation=list(dilation),
                 normalize=args.kernel_normalize), stats))
    return records


def _with_means(record: Dict, stats: Dict) -> Dict:
    record['num_heads'] = len(stats['distance'])
    for measure in MEASURES:
        values = stats[measure].double()
        record[measure] = values.tolist()
        record[f'mean_{measure}'] = float(values.mean())
    return record


def per_head_figure(records: List[Dict], measure: str, title: str):
    """One dot per head at its layer, the layer mean as a line (the
    scatter of Dark Secrets of MIM, Fig. 2)."""
    with paper_style():
        fig, (ax, ) = new_figure(width=max(4., .35 * len(records) + 1.5))
        ax.plot(range(len(records)), [r[f'mean_{measure}'] for r in records],
                color='tab:orange', label='layer mean')
        for i, record in enumerate(records):
            values = np.asarray(record[measure])
            ax.scatter(np.full(len(values), i), values, s=12, alpha=.7,
                       color='tab:blue', linewidths=0, zorder=3,
                       label='heads' if i == 0 else None)
        ax.set_xticks(range(len(records)))
        ax.set_xticklabels([short_name(r['name']) for r in records],
                           rotation=90)
        ax.set_xlabel('layer')
        ax.set_ylabel(LABELS[measure])
        ax.set_title(title)
        ax.legend()
    return fig


def main(argv=None):
    args = parse_args(argv)
    check_data_args(args)
    if args.min_kernel_size < 1:
        raise ValueError('--min-kernel-size must be >= 1, got '
                         f'{args.min_kernel_size}')
    set_random_seed(args.seed)
    model = load_model(args.config, args.checkpoint, args.device,
                       args.cfg_options)
    if args.layers:
        layers = args.layers
        for name in layers:
            get_module(model, name)
    elif args.large_kernel:
        layers = default_large_kernel_layers(model, args.min_kernel_size)
    else:
        layers = default_attention_layers(model)
    size = ((args.img_size[0], args.img_size[-1]) if args.img_size else
            input_size(model, model.cfg))
    prepared = PreparedModel(model, list(layers), size)
    if args.large_kernel:
        records = kernel_records(args, prepared)
    else:
        records = attention_records(args, prepared)
    what = 'kernel' if args.large_kernel else 'attention'
    result = dict(config=args.config, checkpoint=args.checkpoint,
                  mode='large_kernel' if args.large_kernel else 'attention',
                  kl_mode=args.kl_mode, input_size=list(size),
                  layers=records)
    with OutputDir(args.out_dir) as out:
        out.write_json('attention.json', result)
        for measure in MEASURES:
            out.save_figure(
                f'attention_{measure}.png',
                per_head_figure(records, measure,
                                f'{what} {measure} per head'))
    print(f'{len(records)} layers -> {out.out_dir}/attention.json')


if __name__ == '__main__':
    run_main(main)

"""Attention distance, entropy and head diversity (KL) per layer and head,
on real images (Dark Secrets of Masked Image Modeling, REFERENCE §5).

    python tools/analysis_tools/attention_statistics.py CONFIG CHECKPOINT \\
        [--name NAME] [--model NAME2 CONFIG2 CHECKPOINT2 ...] \\
        [--img-dir DIR] [--num-images 64] [--batch-size 16] \\
        [--layers NAME ...] [--kl-mode pairwise|to_mean] \\
        [--large-kernel [--kernel-normalize softmax|abs]] \\
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

``--model NAME CONFIG CHECKPOINT`` (repeatable) adds models to the same
figures (random vs SimMIM vs SG-MIM), all on the same images; ``--layers``
names the first model's layers, the others use their default layers. As in
``fourier_amplitude.py``, depth is normalised to [0, 1] per model (layer i
of L at i / (L − 1)) where models share an axis.

Writes ``attention.json`` (per model: name, config, checkpoint, input size
and one record per layer: module name, index, normalised depth, per-head
distance in pixels, entropy in nats and KL, their means),
``attention_distance.png`` (per head vs layer, as the paper's scatter, one
panel per model with a shared y axis), ``attention_entropy.png`` and
``attention_kl.png`` (layer means against depth, one line per model, heads
as dots); nothing if the run fails.
"""
import argparse
from typing import Dict, List

from sgmim.analysis.attention import large_kernel_statistics
from sgmim.analysis.attention_capture import (AttentionCapture,
                                              attention_statistics,
                                              default_attention_layers)
from sgmim.analysis.cli import (PreparedModel, add_data_args, add_model_args,
                                add_models_args, check_data_args,
                                layer_depths, load_models, model_batches,
                                run_main)
from sgmim.analysis.features import get_module, run_backbone
from sgmim.analysis.large_kernel import (MIN_KERNEL_SIZE,
                                         default_large_kernel_layers,
                                         depthwise_kernel, input_strides)
from sgmim.analysis.outputs import OutputDir
from sgmim.analysis.plotting import (attention_heads_figure,
                                     attention_layers_figure)

MEASURES = ('distance', 'entropy', 'kl')
LABELS = dict(distance='attention distance (pixels)',
              entropy='attention entropy (nats)',
              kl='KL divergence between heads (nats)')
TITLES = dict(entropy='entropy', kl='head diversity (KL)')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_model_args(parser)
    add_data_args(parser, 'attention')
    add_models_args(parser)
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


def attention_records(args, prepared: PreparedModel,
                      desc: str = 'attention') -> List[Dict]:
    """Per layer, the per-head statistics over all images: the mean of the
    batch results weighted by their query counts (= the full-set mean)."""
    model = prepared.model
    capture = AttentionCapture(model, prepared.layers)
    totals = {name: dict(weight=0, images=0, **{m: 0. for m in MEASURES})
              for name in prepared.layers}
    shifts = {}
    with capture:
        for batch in model_batches(args, prepared, desc=desc):
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
        record = dict(layer=name, type=type(module).__name__,
                      num_images=total['images'],
                      num_queries=total['weight'])
        if hasattr(module, 'w_msa'):
            record.update(window_size=module.window_size,
                          shift_size=shifts[name])
        records.append(_with_means(
            record, {m: total[m] / total['weight'] for m in MEASURES}))
    return records


def kernel_records(args, prepared: PreparedModel,
                   desc: str = 'strides') -> List[Dict]:
    """Per large-kernel layer, per-channel statistics of its kernel."""
    batch = next(model_batches(args, prepared, desc=desc))
    strides = input_strides(prepared.model, prepared.layers, batch)
    records = []
    for name in prepared.layers:
        weight, dilation = depthwise_kernel(
            get_module(prepared.model, name))
        stats = large_kernel_statistics(weight, strides[name], dilation,
                                        args.kernel_normalize, args.kl_mode)
        records.append(_with_means(
            dict(layer=name, type='large_kernel',
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


def with_depths(records: List[Dict]) -> List[Dict]:
    """Each record led by its layer, index and normalised depth."""
    return [dict(layer=r.pop('layer'), index=i, depth=depth, **r)
            for i, (r, depth) in enumerate(
                zip(records, layer_depths(len(records))))]


def compute(args) -> Dict:
    """The JSON: one entry per model, each with its layer records."""
    if args.large_kernel:
        def defaults(model):
            return default_large_kernel_layers(model, args.min_kernel_size)
        model_records = kernel_records
    else:
        defaults, model_records = default_attention_layers, attention_records
    models = [
        dict(spec.describe(), input_size=list(prepared.size),
             records=with_depths(model_records(args, prepared, spec.name)))
        for spec, prepared in load_models(args, defaults)
    ]
    return dict(measure='attention',
                mode='large_kernel' if args.large_kernel else 'attention',
                kl_mode=args.kl_mode, models=models)


def main(argv=None):
    args = parse_args(argv)
    check_data_args(args)
    if args.min_kernel_size < 1:
        raise ValueError('--min-kernel-size must be >= 1, got '
                         f'{args.min_kernel_size}')
    result = compute(args)
    what = 'kernel' if args.large_kernel else 'attention'
    models = result['models']
    with OutputDir(args.out_dir) as out:
        out.write_json('attention.json', result)
        out.save_figure('attention_distance.png', attention_heads_figure(
            models, 'distance', LABELS['distance'],
            f'{what} distance per head'))
        for measure in MEASURES[1:]:
            out.save_figure(f'attention_{measure}.png',
                            attention_layers_figure(
                                models, measure, LABELS[measure],
                                f'{what} {TITLES[measure]} per layer'))
    print(f'{len(models)} model(s) -> {out.out_dir}/attention.json')


if __name__ == '__main__':
    run_main(main)

"""CKA between the layers of one model, or layer by layer between two.

    python tools/analysis_tools/cka_similarity.py CONFIG CHECKPOINT
        [--compare CONFIG2 CHECKPOINT2] [--compare-layers NAME ...]
        [--representation tokens|pooled] [--names NAME [NAME2]]
        [--img-dir DIR] [--num-images N] [--batch-size B]
        [--layers NAME ...] [--preset blocks|mesa] [--out-dir DIR] [--device DEV] [--seed S] [--cfg-options k=v ...]

Linear CKA with the minibatch unbiased estimator of Nguyen, Raghu and
Kornblith (2021), ``sgmim.analysis.cka.MinibatchCKA``: per batch of n >= 4
images only the HSIC sums are kept, so memory does not grow with the number
of images; the last incomplete batch is dropped (equal batch sizes). Each
layer's representation of an image is its spatial tokens flattened
(``--representation pooled``: their mean). With ``--compare`` both models
see the same images (same seed and order) and the layer lists must have the
same length (``--compare-layers``, default the second model's own default
layers): entry (i, i) is the CKA of the i-th layers, as in MeSa's
pre-trained vs fine-tuned comparison (``--preset mesa``). Each model sees
the images at its own encoder size unless ``--img-size`` sets one for
both; a warning says when the two sizes differ.

Writes ``cka.json`` (the matrix, one record per layer with its module name
and its row of CKA values; with ``--compare`` also the matched layer and
the CKA of the pair) and ``cka.png`` (heatmap); with ``--compare`` also
``cka_layerwise.png`` (CKA of matched layers against depth).
"""
import argparse
import logging

import torch
from mmengine.logging import print_log

from sgmim.analysis.cka import MinibatchCKA
from sgmim.analysis.cli import (add_data_args, add_model_args,
                                add_names_arg, check_data_args, figure_names,
                                model_batches, prepare_model, run_main)
from sgmim.analysis.features import batch_features
from sgmim.analysis.outputs import OutputDir
from sgmim.analysis.plotting import cka_figure, cka_layerwise_figure

MEASURE = 'cka'
MIN_BATCH = 4
WHY = 'the unbiased HSIC estimator needs n >= 4 images per batch'
REPRESENTATIONS = ('tokens', 'pooled')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_model_args(parser)
    add_data_args(parser, MEASURE, num_images=64, batch_size=16)
    parser.add_argument('--compare', nargs=2,
                        metavar=('CONFIG2', 'CHECKPOINT2'),
                        help='second model: layer-by-layer CKA between the '
                        'two')
    parser.add_argument('--compare-layers', nargs='+', metavar='NAME',
                        help='layers of the second model (default: its '
                        'preset layers)')
    add_names_arg(parser, '--compare model')
    parser.add_argument('--representation', choices=REPRESENTATIONS,
                        default='tokens',
                        help='per image: the flattened spatial tokens, or '
                        'their mean (default tokens)')
    return parser.parse_args(argv)


def representation(feats, kind: str) -> torch.Tensor:
    """(B, N·C) flattened tokens or (B, C) their mean."""
    tokens = feats.tokens
    return tokens.mean(1) if kind == 'pooled' else tokens.flatten(1)


def model_record(args, prepared, config, checkpoint) -> dict:
    return dict(config=config, checkpoint=checkpoint,
                layers=prepared.layers, input_size=list(prepared.size))


def prepare_models(args):
    """The first model and, with ``--compare``, the second (else None),
    with layer lists of equal length."""
    first = prepare_model(args)
    second = None
    if args.compare:
        second = prepare_model(args, *args.compare, args.compare_layers)
        if len(second.layers) != len(first.layers):
            raise ValueError(
                f'cross-model CKA compares layer i with layer i: the first '
                f'model has {len(first.layers)} layers, the second '
                f'{len(second.layers)} (choose lists of equal length with '
                '--layers / --compare-layers)')
        if second.size != first.size:
            print_log(
                f'cka: the models see the images at different sizes: '
                f'{args.config} at {size_text(first.size)}, '
                f'{args.compare[0]} at {size_text(second.size)} (each '
                "config's encoder size). Their tokens then cover the same "
                'images at different resolutions, which lowers CKA by '
                'itself; give --img-size H W to compare them on the same '
                'input', logger='current', level=logging.WARNING)
    return first, second


def size_text(size) -> str:
    return f'{size[0]} x {size[1]}'


def accumulate(args, first, second=None) -> MinibatchCKA:
    """Run the images through the model(s) batch by batch and add each
    batch's representations to a :class:`MinibatchCKA`; only its HSIC sums
    outlive the batch."""
    cka = MinibatchCKA(len(first.layers),
                       len(second.layers) if second else None)
    xs_iter = batch_features(first.model, first.layers,
                             model_batches(args, first, drop_last=True,
                                           desc='model 1'))
    if second is None:
        for xs in xs_iter:
            cka.update([representation(f, args.representation) for f in xs])
    else:
        ys_iter = batch_features(second.model, second.layers,
                                 model_batches(args, second, drop_last=True,
                                               desc='model 2'))
        for xs, ys in zip(xs_iter, ys_iter):
            cka.update([representation(f, args.representation) for f in xs],
                       [representation(f, args.representation) for f in ys])
    return cka


def compute(args):
    """The CKA matrix and what describes it."""
    first, second = prepare_models(args)
    cka = accumulate(args, first, second)
    matrix = cka.compute()
    models = [model_record(args, first, args.config, args.checkpoint)]
    if second:
        models.append(model_record(args, second, *args.compare))
    records = []
    for i, layer in enumerate(first.layers):
        record = dict(layer=layer, index=i, cka=matrix[i])
        if second:
            record.update(matched_layer=second.layers[i],
                          matched_cka=matrix[i, i])
        records.append(record)
    return dict(measure=MEASURE, mode='cross' if second else 'within',
                estimator='minibatch unbiased HSIC (Nguyen et al. 2021)',
                representation=args.representation, models=models,
                batch_size=args.batch_size, num_batches=cka.num_batches,
                num_images=cka.num_batches * args.batch_size,
                layers=first.layers,
                compare_layers=second.layers if second else first.layers,
                matrix=matrix, records=records)



def main(argv=None):
    args = parse_args(argv)
    check_data_args(args, MIN_BATCH, WHY)
    if args.compare_layers and not args.compare:
        raise ValueError('--compare-layers needs --compare')
    result = compute(args)
    names = figure_names(args.names, [m['config'] for m in result['models']])
    with OutputDir(args.out_dir) as out:
        out.write_json(f'{MEASURE}.json', result)
        out.save_figure(f'{MEASURE}.png', cka_figure(
            result['matrix'].numpy(), result['layers'],
            result['compare_layers'], names[0], names[-1]))
        if result['mode'] == 'cross':
            out.save_figure(f'{MEASURE}_layerwise.png', cka_layerwise_figure(
                result['matrix'].diagonal().numpy(), result['layers'],
                f'{names[0]} vs {names[1]}'))
    print(f'wrote {MEASURE}.json and figures to {args.out_dir}')


if __name__ == '__main__':
    run_main(main)

"""Singular-value spectrum of each layer's feature covariance (LUT §6.2.3).

    python tools/analysis_tools/feature_spectrum.py CONFIG CHECKPOINT
        [--reference CONFIG2 CHECKPOINT2] [--reference-layers NAME ...]
        [--all-tokens] [--names NAME [REF_NAME]] [--img-dir DIR]
        [--num-images N] [--batch-size B] [--layers NAME ...]
        [--preset blocks|mesa] [--out-dir DIR] [--device DEV] [--seed S]
        [--cfg-options k=v ...]

Per layer, the embeddings z of the images -- by default each image's mean
spatial token, with ``--all-tokens`` every spatial token -- are streamed
into ``sgmim.analysis.spectrum.CovarianceAccumulator`` (memory O(C²));
the singular values of C = (1/N) Σ (z − z̄)(z − z̄)ᵀ are reported in
descending order. N embeddings of width D determine at most
``rank = min(N − 1, D)`` of them (the rest are 0 up to rounding): the
figures and the log gap stop there, and a warning asks for more images (or
``--all-tokens``) when N − 1 < D. With ``--reference`` the same is computed
for a second model on the same images (layer lists of equal length,
matching widths) and the log gap log σ − log σ_ref per layer is added, over
the ranks both spectra determine.

Writes ``spectrum.json`` (one record per layer: module name, width, number
of embeddings, rank, all D singular values; with a reference also its
layer, its singular values and the log gap), ``spectrum.png`` and, with a
reference, ``spectrum_reference.png`` and ``spectrum_gap.png``.
"""
import argparse
import logging

from mmengine.logging import print_log

from sgmim.analysis.cli import (add_data_args, add_model_args,
                                add_names_arg, check_data_args, figure_names,
                                model_batches, prepare_model, run_main)
from sgmim.analysis.features import batch_features
from sgmim.analysis.outputs import OutputDir
from sgmim.analysis.plotting import spectrum_figure, spectrum_gap_figure
from sgmim.analysis.spectrum import CovarianceAccumulator, log_spectrum_gap

MEASURE = 'spectrum'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_model_args(parser)
    add_data_args(parser, MEASURE, num_images=256, batch_size=32)
    parser.add_argument('--reference', nargs=2,
                        metavar=('CONFIG2', 'CHECKPOINT2'),
                        help='reference model for the log gap')
    parser.add_argument('--reference-layers', nargs='+', metavar='NAME',
                        help='layers of the reference (default: its preset '
                        'layers)')
    add_names_arg(parser, '--reference')
    parser.add_argument('--all-tokens', action='store_true',
                        help='every spatial token is an embedding (default: '
                        'the mean token of each image)')
    return parser.parse_args(argv)


def embeddings(feats, all_tokens: bool):
    """(B, C) mean spatial token, or (B·N, C) every spatial token."""
    tokens = feats.tokens
    return tokens.flatten(0, 1) if all_tokens else tokens.mean(1)


def spectra(args, prepared, desc: str):
    """Per layer: (width, number of embeddings, singular values)."""
    accumulators = None
    for feats in batch_features(prepared.model, prepared.layers,
                                model_batches(args, prepared, desc=desc)):
        if accumulators is None:
            accumulators = [CovarianceAccumulator(f.tokens.shape[-1])
                            for f in feats]
        for accumulator, layer_feats in zip(accumulators, feats):
            accumulator.update(embeddings(layer_feats, args.all_tokens))
    return [(a.dim, a.count, a.compute()) for a in accumulators]


def determined_rank(layer: str, dim: int, count: int) -> int:
    """How many singular values ``count`` embeddings of width ``dim``
    determine: ``min(count − 1, dim)`` (warned when below ``dim``)."""
    rank = min(count - 1, dim)
    if rank < dim:
        print_log(
            f'{layer}: {count} embeddings determine only {rank} of the '
            f'{dim} singular values (the rest are 0); use more images or '
            '--all-tokens for the full spectrum', logger='current',
            level=logging.WARNING)
    return rank


def compute(args) -> dict:
    model = prepare_model(args)
    reference = None
    if args.reference:
        reference = prepare_model(args, *args.reference,
                                  args.reference_layers)
        if len(reference.layers) != len(model.layers):
            raise ValueError(
                f'the log gap compares layer i with layer i: the model has '
                f'{len(model.layers)} layers, the reference '
                f'{len(reference.layers)} (use --layers / '
                '--reference-layers)')
    results = spectra(args, model, 'model')
    ref_results = spectra(args, reference, 'reference') if reference else []
    records = []
    for i, (layer, (dim, count, values)) in enumerate(
            zip(model.layers, results)):
        rank = determined_rank(layer, dim, count)
        record = dict(layer=layer, index=i, dim=dim, num_embeddings=count,
                      rank=rank, singular_values=values)
        if reference:
            ref_dim, ref_count, ref_values = ref_results[i]
            if ref_dim != dim:
                raise ValueError(
                    f'{layer} has {dim} channels, reference layer '
                    f'{reference.layers[i]} {ref_dim}: the log gap needs '
                    'equal widths')
            ref_rank = determined_rank(reference.layers[i], dim, ref_count)
            both = min(rank, ref_rank)
            record.update(reference_layer=reference.layers[i],
                          reference_rank=ref_rank,
                          reference_singular_values=ref_values,
                          log_gap=log_spectrum_gap(values[:both],
                                                   ref_values[:both]))
        records.append(record)
    models = [dict(config=args.config, checkpoint=args.checkpoint,
                   layers=model.layers)]
    if reference:
        models.append(dict(config=args.reference[0],
                           checkpoint=args.reference[1],
                           layers=reference.layers))
    return dict(measure=MEASURE,
                embedding='all tokens' if args.all_tokens else
                'mean spatial token', models=models, records=records)



def main(argv=None):
    args = parse_args(argv)
    check_data_args(args, 1)
    if args.reference_layers and not args.reference:
        raise ValueError('--reference-layers needs --reference')
    result = compute(args)
    records = result['records']
    layers = [r['layer'] for r in records]
    name, ref_name = figure_names(
        args.names, [args.config, (args.reference or [args.config])[0]])
    with OutputDir(args.out_dir) as out:
        out.write_json(f'{MEASURE}.json', result)
        out.save_figure(f'{MEASURE}.png', spectrum_figure(
            [r['singular_values'][:r['rank']].numpy() for r in records],
            layers, name))
        if args.reference:
            out.save_figure(f'{MEASURE}_reference.png', spectrum_figure(
                [r['reference_singular_values'][:r['reference_rank']].numpy()
                 for r in records],
                [r['reference_layer'] for r in records],
                ref_name))
            out.save_figure(f'{MEASURE}_gap.png', spectrum_gap_figure(
                [r['log_gap'].numpy() for r in records], layers,
                f'{name} vs {ref_name}'))
    print(f'wrote {MEASURE}.json and figures to {args.out_dir}')


if __name__ == '__main__':
    run_main(main)

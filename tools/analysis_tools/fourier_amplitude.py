"""Fourier ΔLog amplitude of each layer's feature map (Park & Kim 2022;
SG-MIM's high-frequency analysis), for one or several models.

    python tools/analysis_tools/fourier_amplitude.py CONFIG CHECKPOINT
        [--name NAME] [--model NAME2 CONFIG2 CHECKPOINT2 ...]
        [--img-dir DIR] [--num-images N] [--batch-size B]
        [--layers NAME ...] [--preset blocks|mesa] [--out-dir DIR]
        [--device DEV] [--seed S] [--cfg-options k=v ...]

Per layer the spatial tokens (cls dropped) form (B, C, h, h) maps;
``sgmim.analysis.fourier.fourier_delta_log_amplitude`` gives
ΔLog A(ω) = log A(ω) − log A(0) along the half diagonal of the 2-D
spectrum. Each point is a mean over images, so the batch results are
averaged with weights B_b / Σ B_b, which equals the result on all images at
once. A layer's "ΔLog amplitude" is the value at the highest frequency.

``--model NAME CONFIG CHECKPOINT`` (repeatable) adds models to the same
figures (all see the same images); ``--layers`` names the first model's
layers, the others use their ``--preset`` layers. Depth is normalised to
[0, 1] per model (layer i of L at i / (L − 1)), so ViT and Swin share the
depth axis.

Writes ``fourier.json`` (per model, one record per layer: module name,
normalised depth, grid, frequencies in units of π, ΔLog amplitude curve and
its highest-frequency value), ``fourier_curves.png`` (relative log
amplitude against frequency, per model) and ``fourier_depth.png`` (ΔLog
amplitude at the highest frequency against depth, all models).
"""
import argparse

import torch

from sgmim.analysis.cli import (add_data_args, add_model_args,
                                add_models_args, check_data_args,
                                layer_depths, load_models, model_batches,
                                run_main)
from sgmim.analysis.features import batch_features
from sgmim.analysis.fourier import (fourier_delta_log_amplitude,
                                    half_diagonal_frequencies)
from sgmim.analysis.outputs import OutputDir
from sgmim.analysis.plotting import (fourier_curves_figure,
                                     fourier_depth_figure)

MEASURE = 'fourier'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_model_args(parser)
    add_data_args(parser, MEASURE, num_images=64, batch_size=16)
    add_models_args(parser)
    return parser.parse_args(argv)


def layer_amplitudes(args, prepared, desc: str):
    """Per layer: the grid and the batch-size weighted mean ΔLog curve."""
    sums, grids, count = None, None, 0
    for feats in batch_features(prepared.model, prepared.layers,
                                model_batches(args, prepared, desc=desc)):
        batch = feats[0].tokens.shape[0]
        curves = []
        for layer, layer_feats in zip(prepared.layers, feats):
            if layer_feats.hw is None:
                raise ValueError(f'{layer}: its tokens are not on a grid, '
                                 'so they have no Fourier spectrum')
            curves.append(fourier_delta_log_amplitude(layer_feats.as_map())
                          * batch)
        if sums is None:
            sums, grids = curves, [f.hw for f in feats]
        else:
            sums = [s + c for s, c in zip(sums, curves)]
        count += batch
    return grids, [s / count for s in sums]


def model_records(args, prepared, desc: str) -> list:
    grids, curves = layer_amplitudes(args, prepared, desc)
    return [
        dict(layer=layer, index=i, depth=depth, hw=list(hw),
             frequencies=half_diagonal_frequencies(hw[0]),
             delta_log_amplitude=curve, high_frequency=curve[-1])
        for i, (layer, depth, hw, curve) in enumerate(
            zip(prepared.layers, layer_depths(len(prepared.layers)), grids,
                curves))
    ]


def compute(args) -> dict:
    models = [dict(spec.describe(),
                   records=model_records(args, prepared, spec.name))
              for spec, prepared in load_models(args)]
    return dict(measure=MEASURE, models=models)


def to_numpy(models):
    return [dict(name=m['name'], records=[
        dict(r, frequencies=torch.as_tensor(r['frequencies']).numpy(),
             delta_log_amplitude=torch.as_tensor(
                 r['delta_log_amplitude']).numpy(),
             high_frequency=float(r['high_frequency']))
        for r in m['records']]) for m in models]


def main(argv=None):
    args = parse_args(argv)
    check_data_args(args, 1)
    result = compute(args)
    models = to_numpy(result['models'])
    with OutputDir(args.out_dir) as out:
        out.write_json(f'{MEASURE}.json', result)
        out.save_figure(f'{MEASURE}_curves.png',
                        fourier_curves_figure(models))
        out.save_figure(f'{MEASURE}_depth.png', fourier_depth_figure(models))
    print(f'wrote {MEASURE}.json and figures to {args.out_dir}')


if __name__ == '__main__':
    run_main(main)

"""Masked-token heterogeneity per layer (MTO) of a model with mask tokens.

    python tools/analysis_tools/token_heterogeneity.py CONFIG CHECKPOINT
        [--name NAME] [--model NAME2 CONFIG2 CHECKPOINT2 ...]
        [--normalize] [--temperature T] [--img-dir DIR] [--num-images N]
        [--batch-size B] [--layers NAME ...] [--out-dir DIR] [--device DEV]
        [--seed S] [--cfg-options k=v ...]

For layer l with masked-token features X_M and visible-token features X_V:
A = rowsoftmax(X_M X_Vᵀ / τ), H^l = −(1/|M|) Σ_i Σ_j A_ij log A_ij
(``sgmim.analysis.heterogeneity.masked_token_heterogeneity``, the function
the MTO losses use), averaged over images.

* SimMIM / SG-MIM encoders (``SimMIMSwinTransformer``,
  ``SimMIMSwinTransformerV2``, ``SimMIMVisionTransformer``): the mask is
  drawn by the config's own mask generator of its train pipeline
  (``SimMIMMaskGenerator``, ``SelectiveGuidanceMaskGenerator``, seeded);
  layer 0 is ``backbone.drop_after_pos``, the patch embedding with the mask
  tokens substituted (and the position embedding added), before the first
  block; then the blocks (``--layers`` replaces them). A Swin stage whose
  tokens merge 2^s × 2^s patches takes the stage rule of the MTO losses
  (``split_on_token_grid``): a token is masked when all its patches are,
  visible when none is, and a mixed token is in neither set (none is mixed
  while the mask patch, 32 px in SimMIM, is a multiple of the token size).
* MAE: the encoder drops the masked patches, so the mask tokens live in the
  decoder: the mask is MAE's own random masking (seeded); layer 0 is the
  input of ``neck.decoder_blocks.0`` (decoder embedding with the mask tokens
  and the decoder position embedding), then the decoder blocks.

The cls token is left out of both sets.

``--model NAME CONFIG CHECKPOINT`` (repeatable) adds models to the same
figures (random vs SimMIM vs SG-MIM), all on the same images, each with the
masks of its own generator (seeded alike); ``--layers`` names the first
model's blocks, the others use their default blocks. As in
``fourier_amplitude.py``, depth is normalised to [0, 1] per model (layer i
of L at i / (L − 1)).

Writes ``heterogeneity.json`` (per model: name, config, checkpoint, mask,
number of images and one record per layer: module name, index, normalised
depth, mean and std of H over the images where it is defined (both sets
non-empty; their number), the mean |M| and |V| per image and the bound
log |V| at the mean |V|, exact when every image has the same),
``heterogeneity.png`` (H against depth, one line per model) and
``affinity.png`` (the matrices A of the first image where H is defined, at
the first, middle and last layer, one row per model).
"""
import argparse
import math

import torch

from sgmim.analysis.cli import (add_data_args, add_model_args,
                                add_models_args, check_data_args,
                                layer_depths, load_models, model_batches,
                                run_main)
from sgmim.analysis.features import (FeatureCapture, default_layers,
                                     run_backbone)
from sgmim.analysis.heterogeneity import (split_heterogeneity,
                                          split_on_token_grid,
                                          token_affinity)
from sgmim.analysis.loading import use_library
from sgmim.analysis.outputs import OutputDir
from sgmim.analysis.plotting import affinity_figure, heterogeneity_figure
from sgmim.utils.mask_generator_config import find_mask_generator

MEASURE = 'heterogeneity'
SIMMIM_EMBEDDING = 'backbone.drop_after_pos'
MAE_EMBEDDING = 'neck.decoder_blocks.0:input'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    add_model_args(parser)
    add_data_args(parser, MEASURE, num_images=64, batch_size=16)
    add_models_args(parser)
    parser.add_argument('--normalize', action='store_true',
                        help='L2-normalise the features before the affinity')
    parser.add_argument('--temperature', type=float, default=1.0,
                        help='softmax temperature τ (default 1, the paper)')
    return parser.parse_args(argv)


def is_mae(model) -> bool:
    """An encoder that drops masked patches, with a decoder holding the
    mask tokens (mmpretrain's ``MAEViT`` + ``MAEPretrainDecoder``)."""
    return (hasattr(model.backbone, 'random_masking')
            and hasattr(getattr(model, 'neck', None), 'decoder_blocks'))


def mask_generator(cfg):
    """The train pipeline's mask generator, built."""
    loader = cfg.get('train_dataloader') or {}
    found = find_mask_generator(loader.get('dataset', {}))
    if found is None:
        raise ValueError('the config\'s train pipeline has no mask generator '
                         '(SimMIMMaskGenerator, SelectiveGuidanceMaskGenerator'
                         '): heterogeneity needs the mask of its own '
                         'pre-training')
    return use_library(cfg.default_scope).TRANSFORMS.build(found)


def draw_masks(generator, batch: int) -> torch.Tensor:
    """(B, S, S) masks of the generator, 1 = masked."""
    return torch.stack([
        torch.as_tensor(generator.transform({})['mask']).long()
        for _ in range(batch)
    ])


def forward_with_mask(prepared, generator, images):
    """Run the masked forward; return the (B, S, S) mask (1 = masked) on
    the patch grid."""
    model = prepared.model
    if generator is None:
        latent, mask, ids_restore = run_backbone(model, images, mask=True)
        with torch.no_grad():
            model.neck(latent, ids_restore)
        side = math.isqrt(mask.shape[1])
        return mask.reshape(-1, side, side).long().cpu()
    mask = draw_masks(generator, images.shape[0])
    run_backbone(model, images, mask=mask.to(images.device))
    return mask


def affinity_layers(count: int):
    return sorted({0, count // 2, count - 1})


def model_heterogeneity(args, prepared, desc: str):
    """One model's JSON fields and its affinity maps (with their layers)."""
    model = prepared.model
    if is_mae(model):
        generator = None
        layers = [MAE_EMBEDDING] + prepared.layers
    else:
        if not hasattr(model.backbone, 'mask_token'):
            raise ValueError(f'{type(model.backbone).__name__} has no mask '
                             'token: heterogeneity needs a SimMIM/SG-MIM '
                             'encoder or an MAE decoder')
        generator = mask_generator(model.cfg)
        size = (generator.input_size, generator.input_size)
        if args.img_size and tuple(prepared.size) != size:
            raise ValueError(f'--img-size {prepared.size} differs from the '
                             f'mask generator input_size {size}')
        prepared = prepared._replace(size=size)
        layers = [SIMMIM_EMBEDDING] + prepared.layers
    sums = torch.zeros(len(layers), dtype=torch.float64)
    squares = torch.zeros(len(layers), dtype=torch.float64)
    defined = torch.zeros(len(layers), dtype=torch.long)
    set_sizes = torch.zeros(len(layers), 2, dtype=torch.long)
    count, maps = 0, {}
    shown = affinity_layers(len(layers))
    with FeatureCapture(model, layers) as capture:
        for images in model_batches(args, prepared, desc=desc):
            capture.clear()
            mask = forward_with_mask(prepared, generator, images)
            for i, (layer, feats) in enumerate(zip(layers,
                                                   capture.collect())):
                if feats.hw is None:
                    raise ValueError(f'{layer}: its tokens are not a full '
                                     'grid, so the mask cannot be applied')
                split = split_on_token_grid(mask.to(feats.tokens.device),
                                            feats.hw)
                tokens = feats.tokens.double()
                valid = torch.tensor(split.valid)
                h = split_heterogeneity(tokens, split, args.normalize,
                                        args.temperature).cpu()[valid]
                sums[i] += h.sum()
                squares[i] += (h**2).sum()
                defined[i] += int(valid.sum())
                set_sizes[i] += torch.tensor([sum(split.masked_counts),
                                              sum(split.visible_counts)])
                if i in shown and i not in maps and valid.any():
                    b = int(valid.nonzero()[0])
                    maps[i] = token_affinity(
                        tokens[b][split.masked[b]],
                        tokens[b][split.visible[b]], args.normalize,
                        args.temperature).cpu().numpy()
            count += images.shape[0]
    for layer, n in zip(layers, defined.tolist()):
        if n == 0:
            raise ValueError(f'{layer}: no image has both masked and visible '
                             'tokens there (stage rule), so H is undefined')
    mean = sums / defined
    std = (squares / defined - mean**2).clamp(min=0).sqrt()
    sizes = (set_sizes / count).tolist()
    records = [
        dict(layer=layer, index=i, depth=depth, heterogeneity=mean[i],
             std=std[i], num_defined=int(defined[i]),
             num_masked=sizes[i][0], num_visible=sizes[i][1],
             max_heterogeneity=math.log(sizes[i][1]))
        for i, (layer, depth) in enumerate(zip(layers,
                                               layer_depths(len(layers))))
    ]
    fields = dict(mask='MAE random masking (decoder)' if generator is None
                  else type(generator).__name__, num_images=count,
                  records=records)
    return fields, dict(maps=[maps[i] for i in shown],
                        layers=[layers[i] for i in shown])


def compute(args):
    """The JSON (one entry per model) and, per model, its affinity maps."""
    models, affinities = [], []

    def defaults(model):
        if is_mae(model):
            return [f'neck.decoder_blocks.{i}'
                    for i in range(len(model.neck.decoder_blocks))]
        return default_layers(model, args.preset)

    for spec, prepared in load_models(args, defaults):
        fields, affinity = model_heterogeneity(args, prepared, spec.name)
        models.append(dict(spec.describe(), **fields))
        affinities.append(dict(affinity, name=spec.name))
    return dict(measure=MEASURE, normalize=args.normalize,
                temperature=args.temperature, models=models), affinities


def main(argv=None):
    args = parse_args(argv)
    check_data_args(args, 1)
    if not args.temperature > 0:
        raise ValueError(f'--temperature must be > 0, got {args.temperature}')
    result, affinities = compute(args)
    with OutputDir(args.out_dir) as out:
        out.write_json(f'{MEASURE}.json', result)
        out.save_figure(f'{MEASURE}.png',
                        heterogeneity_figure(result['models']))
        out.save_figure('affinity.png', affinity_figure(affinities))
    print(f'wrote {MEASURE}.json and figures to {args.out_dir}')


if __name__ == '__main__':
    run_main(main)

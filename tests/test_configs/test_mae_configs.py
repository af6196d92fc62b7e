"""The MAE baselines resolve to MAE's recipe (MAE paper Table 8; LUT's
``main_lut.py`` / ``docs/PRETRAIN.md``) and build; the learning-rate
schedules are checked in test_recipes.py."""
from functools import partial
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import FUNCTIONS, init_default_scope

import sgmim  # noqa: F401
from mmpretrain.registry import MODELS

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
MAE_CONFIGS = sorted((CONFIGS / 'mae').glob('*.py'))
SYNTH = CONFIGS / 'synth/mae_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py'


def vit_params(width, depth, patches, patch=16, mlp=4):
    """Encoder parameters of a timm/MAE ViT, counted from its layers: per
    block qkv 3D²+3D, proj D²+D, fc1 mlp·D²+mlp·D, fc2 mlp·D²+D, two LNs
    4D; patch embedding 3p²·D + D, cls token, pos embed (1+N)·D, final
    LN."""
    d = width
    block = (3 * d * d + 3 * d) + (d * d + d) + 2 * (mlp * d * d) + \
        mlp * d + d + 4 * d
    return depth * block + (3 * patch * patch * d + d) + d + \
        (1 + patches) * d + 2 * d


def test_all_nine_baselines_exist():
    names = {p.name for p in MAE_CONFIGS}
    assert names == {
        f'mae_vit-{a}-p16_8xb512-amp-coslr-{n}e_in1k.py'
        for a in ('small', 'base', 'large') for n in (400, 800, 1600)}


@pytest.mark.parametrize('path', MAE_CONFIGS,
                         ids=[p.stem for p in MAE_CONFIGS])
def test_recipe(path):
    cfg = Config.fromfile(str(path))
    assert cfg.default_scope == 'mmpretrain'
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, tuple(optimizer.betas),
            optimizer.weight_decay) == ('AdamW', (0.9, 0.95), 0.05)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.train_dataloader.batch_size * 8 == 4096
    assert optimizer.lr == pytest.approx(1.5e-4 * 4096 / 256)
    assert cfg.auto_scale_lr == dict(base_batch_size=4096, rule='sqrt')
    assert cfg.runner_type == 'LRScalingRunner'
    assert cfg.train_dataloader.sampler.type == 'PerSampleSeedSampler'
    assert cfg.model.backbone.mask_ratio == 0.75
    assert cfg.model.head.norm_pix is True
    neck = cfg.model.neck
    assert (neck.decoder_embed_dim, neck.decoder_depth,
            neck.decoder_num_heads) == (512, 8, 16)
    epochs = int(path.stem.split('coslr-')[1].split('e_')[0])
    assert cfg.train_cfg.max_epochs == epochs
    assert not cfg.resume
    # the collate function the Runner builds (type popped, rest as kwargs)
    collate = dict(cfg.train_dataloader.collate_fn)
    collate_fn = partial(FUNCTIONS.get(collate.pop('type')), **collate)
    batch = collate_fn([dict(x=torch.ones(2)), dict(x=torch.zeros(2))])
    assert batch['x'].shape == (2, 2)


@pytest.mark.parametrize('epochs', (400, 800, 1600))
def test_vit_large_is_mmpretrains_l(epochs):
    """ViT-L/16: mmpretrain's arch 'l' (1024-d, 24 layers, 16 heads), the
    decoder fed 1024-d tokens; the rest is the ViT-B recipe."""
    large = Config.fromfile(str(
        CONFIGS / f'mae/mae_vit-large-p16_8xb512-amp-coslr-{epochs}e_in1k.py'))
    base = Config.fromfile(str(
        CONFIGS / f'mae/mae_vit-base-p16_8xb512-amp-coslr-{epochs}e_in1k.py'))
    assert (large.model.backbone.arch, large.model.neck.embed_dim) == (
        'l', 1024)
    init_default_scope('mmpretrain')
    arch = MODELS.get('MAEViT').arch_zoo['l']
    assert (arch['embed_dims'], arch['num_layers'], arch['num_heads'],
            arch['feedforward_channels']) == (1024, 24, 16, 4096)
    differing = {key for key in set(large) | set(base)
                 if large.get(key) != base.get(key)}
    assert differing == {'model'}
    for part in ('backbone', 'neck'):
        large.model[part].pop('arch', None)
        base.model[part].pop('arch', None)
        large.model[part].pop('embed_dim', None)
        base.model[part].pop('embed_dim', None)
    assert large.model == base.model


def test_vit_small_is_deit_small_width():
    cfg = Config.fromfile(str(
        CONFIGS / 'mae/mae_vit-small-p16_8xb512-amp-coslr-400e_in1k.py'))
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.backbone.parameters()) == \
        vit_params(384, 12, 196)
    assert model.backbone.layers[0].attn.num_heads == 6
    assert model.neck.decoder_embed.in_features == 384


def test_synth_mae_model():
    cfg = Config.fromfile(str(SYNTH))
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    assert sum(p.numel() for p in model.backbone.parameters()) == \
        vit_params(64, 2, 36)
    assert cfg.optim_wrapper.type == 'OptimWrapper'
    assert cfg.auto_scale_lr == dict(base_batch_size=16, rule='sqrt')

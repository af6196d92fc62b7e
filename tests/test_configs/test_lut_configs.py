"""LUT configs against the authors' recipe (REFERENCE.md §2): optimiser,
square-root lr, λ per encoder, the ablations differing from their parent as
their names say; the synth configs build and split weight decay as meant."""
import math
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

import sgmim  # noqa: F401
from mmpretrain.registry import MODELS, TRANSFORMS

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
LUT = sorted((CONFIGS / 'lut').rglob('lut_*.py')) + sorted(
    (CONFIGS / 'lut' / 'ablations').glob('lut-*.py'))
PARENT_400E = CONFIGS / 'lut/lut_vit-base-p16_8xb512-amp-coslr-400e_in1k.py'
SYNTH = [CONFIGS / 'synth/lut_vit-nano-p16_1xb16-coslr-20e_synthscenes-'
         '96px.py',
         CONFIGS / 'synth/lut-simmim_vit-nano-p16_1xb16-coslr-20e_'
         'synthscenes-96px.py']
COLOUR = {'SafeHueColorJitter', 'RandomGrayscale', 'Solarize',
          'GaussianBlur', 'RandomApply', 'RandomChoice'}


def expected_weight(name):
    if 'ctx' in name:
        return float(name.split('ctx')[1].split('_')[0])
    return 1.0 if 'vit-small' in name else 0.25


@pytest.mark.parametrize('path', LUT, ids=[p.name for p in LUT])
def test_recipe_is_the_authors(path):
    cfg = Config.fromfile(str(path))
    model, optimizer = cfg.model, cfg.optim_wrapper.optimizer
    batch = 8 * cfg.train_dataloader.batch_size
    assert batch == 4096 and model.type == 'LUT'
    assert (optimizer.type, tuple(optimizer.betas), optimizer.weight_decay,
            cfg.optim_wrapper.type) == ('AdamW', (0.9, 0.95), 0.05,
                                        'AmpOptimWrapper')
    assert optimizer.lr == pytest.approx(1.5e-4 * math.sqrt(batch) / 4)
    # --auto-scale-lr keeps the square-root rule at another batch
    assert cfg.auto_scale_lr == dict(base_batch_size=4096, rule='sqrt')
    assert cfg.runner_type == 'LRScalingRunner'
    assert model.context_loss_weight == expected_weight(path.name)
    assert model.teacher_covers == ('all' if 'teacherall' in path.name else
                                    'encoder_projector')
    assert (model.base_momentum, model.end_momentum) == (0.996, 1.0)
    assert model.backbone.mask_ratio == 0.75 and model.head.norm_pix
    for mlp in (model.projector, model.predictor):
        assert (mlp.hid_channels, mlp.with_bias, mlp.with_last_bn,
                mlp.with_last_bias, mlp.norm_cfg.type) == (
                    4096, False, False, False, 'SyncBN')
        assert mlp.in_channels == mlp.out_channels == (
            384 if 'vit-small' in path.name else 768)
    if 'vit-small' in path.name:
        assert dict(model.backbone.arch) == dict(
            embed_dims=384, num_layers=12, num_heads=6,
            feedforward_channels=1536)
        assert model.neck.embed_dim == 384


def view_types(cfg):
    multiview, = [t for t in cfg.train_dataloader.dataset.pipeline
                  if t.type == 'MultiView']
    return [[t.type for t in view] for view in multiview.transforms]


def test_ablations_differ_from_their_parent_as_named():
    parent = Config.fromfile(str(PARENT_400E))
    assert parent.train_cfg.max_epochs == 400
    view1, view2 = view_types(parent)
    assert not COLOUR & set(view1) and COLOUR & set(view2)
    for path in (CONFIGS / 'lut' / 'ablations').glob('*.py'):
        cfg = Config.fromfile(str(path))
        differing = {key for key in set(cfg) | set(parent)
                     if cfg.get(key) != parent.get(key)}
        if 'nocolor' in path.name:
            assert differing <= {'train_dataloader', 'view'}
            assert view_types(cfg) == [view1, view1]
        else:
            assert differing == {'model'}, path.name


def test_lut_on_simmim_keeps_simmim_recipe():
    cfg = Config.fromfile(str(
        CONFIGS / 'lut/lut-simmim_vit-base-p16_8xb128-amp-step-800e_in1k-'
        '224px.py'))
    simmim = Config.fromfile(str(
        CONFIGS / 'simmim/simmim_vit-base-p16_8xb128-amp-step-800e_in1k-'
        '224px.py'))
    assert cfg.model.type == 'LUTSimMIM'
    assert cfg.model.backbone == simmim.model.backbone
    assert (cfg.optim_wrapper, cfg.param_scheduler, cfg.train_cfg) == (
        simmim.optim_wrapper, simmim.param_scheduler, simmim.train_cfg)
    assert cfg.train_dataloader.batch_size == 128
    assert (cfg.model.mask_patch_size, cfg.model.mask_ratio) == (32, 0.6)
    assert not any('MaskGenerator' in t.type
                   for t in cfg.train_dataloader.dataset.pipeline)


@pytest.mark.parametrize('path', SYNTH, ids=[p.name for p in SYNTH])
def test_synth_config_builds_and_spares_1d_from_decay(path):
    cfg = Config.fromfile(str(path))
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    for t in cfg.train_dataloader.dataset.pipeline:
        TRANSFORMS.build(t)
    view1, view2 = view_types(cfg)
    assert view1 == view2[:3]
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    names = {id(p): n for n, p in model.named_parameters()}
    decay = {}
    for group in wrapper.optimizer.param_groups:
        for param in group['params']:
            decay[names[id(param)]] = group.get('weight_decay', 0.05)
    for name, param in model.named_parameters():
        if name.startswith('teacher.'):
            assert not param.requires_grad
        if not param.requires_grad:  # the teacher, MAE's fixed pos_embed
            continue
        if param.ndim <= 1 or name.endswith(('pos_embed', 'cls_token',
                                             'mask_token')):
            assert decay[name] == 0, name
        else:
            assert decay[name] == 0.05, name

"""MTO configs (REFERENCE.md §3) as resolved by mmengine: each is its
baseline with only ``model.type`` and ``model.mto`` changed (a drifting
recipe fails here), the ablations switch on the terms of the paper's
table, the 400-epoch SimMIM schedule steps at epoch 350, and the MAE ViT-L
configs carry mmpretrain's ViT-L recipe; one full-size config per
algorithm and every synth config build their model with MTO's layers."""
from functools import lru_cache
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

import sgmim  # noqa: F401
from mmpretrain.registry import MODELS

from recipe_schedule import lr_trace

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
SIMMIM_400E = 'simmim/simmim_vit-base-p16_8xb128-amp-step-400e_in1k-224px.py'
SYNTH = '1xb16-coslr-20e_synthscenes-96px.py'
#: the paper's ablation (SimMIM ViT-B, 400 epochs): name -> terms on
ABLATION_TERMS = {
    'spa': ('spa', ),
    'e': ('e', ),
    'r': ('r', ),
    'spa-e': ('spa', 'e'),
    'e-r': ('e', 'r'),
}

#: MTO config -> (its baseline, algorithm type, the resolved mto dict)
PAIRS = {
    **{
        f'mto/mto-simmim_vit-base-p16_8xb128-amp-step-{n}e_in1k-224px.py':
        (f'simmim/simmim_vit-base-p16_8xb128-amp-step-{n}e_in1k-224px.py',
         'MTOSimMIM', {})
        for n in (400, 800)
    },
    **{
        f'mto/mto-mae_vit-{arch}-p16_8xb512-amp-coslr-{n}e_in1k.py':
        (f'mae/mae_vit-{arch}-p16_8xb512-amp-coslr-{n}e_in1k.py', 'MTOMAE',
         {})
        for arch in ('base', 'large') for n in (400, 800, 1600)
    },
    'mto/mto-sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-192px.py':
    ('sgmim/sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-192px.py', 'SGMIM',
     {}),
    **{
        f'mto/ablations/mto-simmim-{name}_vit-base-p16_8xb128-amp-step-400e_'
        'in1k-224px.py': (SIMMIM_400E, 'MTOSimMIM', dict(terms=terms))
        for name, terms in ABLATION_TERMS.items()
    },
    f'synth/mto-simmim_vit-nano-p16_{SYNTH}':
    (f'synth/simmim_vit-nano-p16_{SYNTH}', 'MTOSimMIM', {}),
    f'synth/mto-mae_vit-nano-p16_{SYNTH}':
    (f'synth/mae_vit-nano-p16_{SYNTH}', 'MTOMAE', {}),
    f'synth/mto-sgmim_swin-nano-w3_{SYNTH}':
    (f'synth/sgmim_swin-nano-w3_{SYNTH}', 'SGMIM', {}),
    **{
        f'synth/mto-simmim-{name}_vit-nano-p16_{SYNTH}':
        (f'synth/simmim_vit-nano-p16_{SYNTH}', 'MTOSimMIM',
         dict(terms=terms))
        for name, terms in ABLATION_TERMS.items()
    },
}


@lru_cache(maxsize=None)
def resolved(name: str) -> dict:
    return Config.fromfile(str(CONFIGS / name)).to_dict()


def test_every_mto_config_has_its_baseline_here():
    """A new MTO config gets its pair here, or this test fails."""
    found = sorted(
        [str(p.relative_to(CONFIGS)) for p in (CONFIGS / 'mto').rglob('*.py')]
        + [str(p.relative_to(CONFIGS))
           for p in (CONFIGS / 'synth').glob('mto-*.py')])
    assert found == sorted(PAIRS)


@pytest.mark.parametrize('name', sorted(PAIRS))
def test_mto_config_is_its_baseline_plus_the_switch(name):
    baseline_name, algorithm, mto = PAIRS[name]
    cfg = resolved(name)
    baseline = resolved(baseline_name)
    assert cfg['model']['type'] == algorithm
    assert cfg['model']['mto'] == mto
    assert 'mto' not in baseline['model']
    model = {k: v for k, v in cfg['model'].items() if k not in ('type', 'mto')}
    plain = {k: v for k, v in baseline['model'].items() if k != 'type'}
    assert model == plain
    assert {k: v for k, v in cfg.items() if k != 'model'} == \
        {k: v for k, v in baseline.items() if k != 'model'}


def test_ablations_are_the_papers_table():
    """Each term alone and the two pairs the paper reports; all three terms
    (the default) is the main 400-epoch config."""
    terms = {
        tuple(resolved(name)['model']['mto'].get('terms', ('spa', 'e', 'r')))
        for name in PAIRS if name.startswith('mto/ablations/')
    }
    assert terms == {('spa', ), ('e', ), ('r', ), ('spa', 'e'), ('e', 'r')}


@pytest.mark.parametrize('name', [
    SIMMIM_400E,
    'mto/mto-simmim_vit-base-p16_8xb128-amp-step-400e_in1k-224px.py'
])
def test_simmim_400e_steps_at_epoch_350(name):
    """SimMIM's 800-epoch recipe (lr 1e-4 × 1024 / 512, 10 warm-up epochs
    from 5e-7 × 1024 / 512) with the ×0.1 step at epoch 350, not at
    350 + 10 (mmengine counts milestones from the scheduler's begin)."""
    cfg = Config.fromfile(str(CONFIGS / name))
    assert cfg.train_cfg.max_epochs == 400
    assert cfg.train_dataloader.batch_size == 128
    length = 2  # iterations per epoch
    trace = [lr for lr, in lr_trace(cfg, length)]
    assert len(trace) == 400 * length
    scale = 8 * 128 / 512
    assert trace[0] == pytest.approx(5e-7 * scale)
    assert trace[10 * length] == pytest.approx(1e-4 * scale)
    assert trace[349 * length] == trace[350 * length - 1] == \
        pytest.approx(1e-4 * scale)
    assert trace[350 * length] == trace[-1] == pytest.approx(1e-5 * scale)


@pytest.mark.parametrize('epochs', (400, 800, 1600))
def test_mae_vit_large_recipe(epochs):
    """mmpretrain's MAE ViT-L files: arch 'l' with the 512-d 8-block
    decoder, lr 1.5e-4 × 4096 / 256 at 8 × 512, 40 warm-up epochs (from
    1e-9 × lr at 800 epochs, 1e-4 × lr otherwise), cosine to 0."""
    cfg = Config.fromfile(str(
        CONFIGS / f'mto/mto-mae_vit-large-p16_8xb512-amp-coslr-{epochs}e_'
        'in1k.py'))
    model = cfg.model
    assert (model.backbone.type, model.backbone.arch,
            model.backbone.mask_ratio) == ('MAEViT', 'l', 0.75)
    assert (model.neck.embed_dim, model.neck.decoder_embed_dim,
            model.neck.decoder_depth, model.neck.decoder_num_heads) == (
                1024, 512, 8, 16)
    assert model.head.norm_pix
    optimizer = cfg.optim_wrapper.optimizer
    assert 8 * cfg.train_dataloader.batch_size == 4096
    assert (optimizer.type, optimizer.lr, tuple(optimizer.betas),
            optimizer.weight_decay) == ('AdamW', 1.5e-4 * 4096 / 256,
                                        (0.9, 0.95), 0.05)
    assert cfg.train_cfg.max_epochs == epochs
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.begin, warmup.end, warmup.start_factor) == (
        'LinearLR', 0, 40, 1e-9 if epochs == 800 else 1e-4)
    assert (cosine.type, cosine.begin, cosine.end, cosine.T_max) == (
        'CosineAnnealingLR', 40, epochs, epochs - 40)
    assert cosine.get('eta_min', 0.) == 0.
    assert cfg.auto_scale_lr == dict(base_batch_size=4096, rule='sqrt')


#: one full-size config per algorithm -> its MTO layers after layer 0
BUILT = {
    'mto/mto-simmim_vit-base-p16_8xb128-amp-step-400e_in1k-224px.py':
    ('backbone.drop_after_pos', [f'backbone.layers.{i}' for i in range(12)]),
    'mto/mto-mae_vit-base-p16_8xb512-amp-coslr-400e_in1k.py':
    ('neck.decoder_blocks.0:input',
     [f'neck.decoder_blocks.{i}' for i in range(8)]),
    'mto/mto-sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-192px.py':
    ('backbone.drop_after_pos',
     [f'backbone.stages.{s}.blocks.{b}'
      for s, n in enumerate((2, 2, 18, 2)) for b in range(n)]),
}


@pytest.mark.parametrize('name', sorted(BUILT))
def test_full_size_models_capture_the_papers_layers(name):
    init_default_scope('mmpretrain')
    model = MODELS.build(resolved(name)['model'])
    embedding, blocks = BUILT[name]
    assert model.mto_layers == [embedding, *blocks]
    assert model.mto_loss.terms == ('spa', 'e', 'r')

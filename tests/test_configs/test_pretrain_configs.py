"""Every pre-training config builds its model and its training pipeline; the
ablations differ from their parent exactly as their names say."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

import sgmim  # noqa: F401
from mmpretrain.registry import MODELS, TRANSFORMS

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
PRETRAIN_CONFIGS = sorted(
    [*CONFIGS.glob('sgmim/**/*.py'), *CONFIGS.glob('simmim/*.py'),
     *CONFIGS.glob('synth/s*mim_*.py'), *CONFIGS.glob('synth/mto-s*.py')])
ABLATIONS = CONFIGS / 'sgmim' / 'ablations'
PARENT = CONFIGS / 'sgmim' / (
    'sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-192px.py')


def mask_generator(cfg):
    pipeline = cfg.train_dataloader.dataset.pipeline
    return next(t for t in pipeline if t.type.endswith('MaskGenerator'))


@pytest.mark.parametrize('path', PRETRAIN_CONFIGS,
                         ids=[p.name for p in PRETRAIN_CONFIGS])
def test_config_builds_model_and_pipeline(path):
    cfg = Config.fromfile(str(path))
    assert cfg.default_scope == 'mmpretrain'
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    transforms = [TRANSFORMS.build(t)
                  for t in cfg.train_dataloader.dataset.pipeline]
    generator = mask_generator(cfg)
    crop = next(t for t in cfg.train_dataloader.dataset.pipeline
                if 'RandomResizedCrop' in t.type)
    # Image size, mask grid and encoder agree.
    assert crop.scale == generator.input_size
    assert generator.model_patch_size == model.head.patch_size
    if cfg.model.type == 'SGMIM':
        assert cfg.model.guidance_neck.input_size == generator.input_size
        assert cfg.model.structure_head.patch_size == model.head.patch_size
        assert transforms[-1].algorithm_keys == ['structure_map',
                                                 'structure_mask']


def test_lr_follows_the_authors_scaling():
    for name, base_lr in [('sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-'
                           '192px.py', 2e-4),
                          ('sgmim_swin-base-w6_8xb128-amp-step-800e_in1k-'
                           '192px.py', 1e-4)]:
        cfg = Config.fromfile(str(CONFIGS / 'sgmim' / name))
        batch = 8 * cfg.train_dataloader.batch_size
        assert cfg.optim_wrapper.optimizer.lr == pytest.approx(
            base_lr * batch / 512)


def ablation(prefix):
    path, = ABLATIONS.glob(f'{prefix}_*.py')
    return Config.fromfile(str(path))


def test_ablations_change_only_what_they_name():
    parent = Config.fromfile(str(PARENT))
    assert mask_generator(parent).mask_ratio == 0.6
    assert mask_generator(parent).mode == 'complementary'
    assert mask_generator(ablation('sgmim-mask0.5')).mask_ratio == 0.5
    assert mask_generator(ablation('sgmim-mask0.7')).mask_ratio == 0.7
    assert mask_generator(ablation('sgmim-randmask')).mode == 'random'
    for weight in ('0.1', '0.01', '0'):
        cfg = ablation(f'sgmim-ls{weight}')
        assert cfg.model.structure_loss_weight == float(weight)
        assert cfg.model.image_loss_weight == 1.0
    extractor = ablation('sgmim-transformer').model.guidance_neck.extractor
    assert extractor.type == 'TransformerStructureExtractor'
    extractor = ablation('sgmim-siamese').model.guidance_neck.extractor
    assert dict(extractor) == dict(type='SiameseStructureExtractor')
    for path in ABLATIONS.glob('*.py'):
        cfg = Config.fromfile(str(path))
        assert cfg.model.backbone == parent.model.backbone, path.name
        assert cfg.optim_wrapper == parent.optim_wrapper, path.name

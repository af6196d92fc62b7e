"""The LUT fine-tuning configs (paper Table D; the authors' docs) resolve to
their values, decay the lr per layer as MAE's ``lr_decay.py`` (block i of L
gets rate^(L − i), embeddings rate^(L + 1), the head 1) and load a
pre-trained MAE-family encoder strictly."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

import sgmim  # noqa: F401
from mmpretrain.registry import MODELS

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
FINETUNE = {
    'lut': (1e-3, 0.65),       # Table D: 2.5e-4 x 1024 / 256
    'lut-docs': (4e-3, 0.75),  # docs/FINETUNE.md: 1e-3 x sqrt(1024) / 8
}
TINY_VIT = dict(embed_dims=16, num_layers=3, num_heads=1,
                feedforward_channels=16)


def finetune_cfg(name):
    return Config.fromfile(str(
        CONFIGS / 'benchmarks/classification' /
        f'vit-base-p16_8xb128-{name}-coslr-100e_in1k.py'))


@pytest.mark.parametrize('name', sorted(FINETUNE))
def test_table_d_values(name):
    cfg = finetune_cfg(name)
    lr, decay = FINETUNE[name]
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(lr)
    assert cfg.optim_wrapper.paramwise_cfg.layer_decay_rate == decay
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.05
    assert cfg.train_dataloader.batch_size * 8 == 1024
    assert cfg.train_cfg.max_epochs == 100
    assert cfg.model.backbone.drop_path_rate == 0.1
    assert [(a.type, a.alpha) for a in cfg.model.train_cfg.augments] == [
        ('Mixup', 0.8), ('CutMix', 1.0)]
    assert cfg.auto_scale_lr == dict(base_batch_size=1024, rule='sqrt')
    assert cfg.runner_type == 'LRScalingRunner'


@pytest.mark.parametrize('name', sorted(FINETUNE))
def test_layer_wise_lr(name):
    """Every parameter's lr, from the config's constructor on a 3-block ViT,
    against MAE's rule written out (layer id 0: patch embedding, class
    token and position embedding; i + 1: block i; L + 1: the rest)."""
    cfg = finetune_cfg(name)
    lr, decay = FINETUNE[name]
    init_default_scope('mmpretrain')
    model_cfg = cfg.model.to_dict()
    model_cfg['backbone'] = dict(model_cfg['backbone'], arch=TINY_VIT,
                                 init_cfg=None)
    model_cfg['head'] = dict(model_cfg['head'], in_channels=16)
    model = MODELS.build(model_cfg)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    lrs = {}
    names = {id(p): n for n, p in model.named_parameters()}
    for group in wrapper.optimizer.param_groups:
        for param in group['params']:
            lrs[names[id(param)]] = group['lr']
    layers = TINY_VIT['num_layers']
    for param_name, param_lr in lrs.items():
        if param_name.startswith(('backbone.patch_embed', 'backbone.cls_token',
                                  'backbone.pos_embed')):
            layer_id = 0
        elif param_name.startswith('backbone.layers.'):
            layer_id = int(param_name.split('.')[2]) + 1
        else:
            layer_id = layers + 1
        expected = lr * decay**(layers + 1 - layer_id)
        assert param_lr == pytest.approx(expected, rel=1e-9), param_name
    assert lrs['head.fc.weight'] == pytest.approx(lr)


def test_mae_encoder_loads_strictly(tmp_path):
    """A pre-training checkpoint of the synth MAE (MAEViT, ``backbone.``)
    initialises the fine-tuning ViT with no missing encoder key."""
    init_default_scope('mmpretrain')
    synth = Config.fromfile(str(
        CONFIGS / 'synth' /
        'mae_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py'))
    mae = MODELS.build(synth.model)
    path = tmp_path / 'epoch_1.pth'
    torch.save({'state_dict': mae.state_dict()}, path)
    backbone = finetune_cfg('lut').model.backbone.to_dict()
    assert backbone['init_cfg']['strict'] is True
    arch = synth.model.backbone.arch.to_dict()
    backbone = dict(backbone, arch=arch, img_size=96,
                    init_cfg=dict(backbone['init_cfg'],
                                  checkpoint=str(path)))
    model = MODELS.build(backbone)
    model.init_weights()
    for key, value in model.state_dict().items():
        source = mae.state_dict().get('backbone.' + key)
        if source is not None:
            assert torch.equal(value, source), key
        else:  # only the fine-tuning pooling norm is new
            assert key.startswith('ln2.'), key

"""The sgmim backbones build from config dicts, also cross-scope from mmseg."""
import pytest
import torch
from mmengine.registry import DefaultScope, init_default_scope
from mmpretrain.registry import MODELS as PRETRAIN_MODELS
from mmseg.registry import MODELS as SEG_MODELS

import sgmim  # noqa: F401  (registers the backbones)
from sgmim.models import backbones

CONFIGS = {
    'SimMIMSwinTransformerV2':
    dict(arch=dict(embed_dims=32, depths=[1, 1, 2, 1],
                   num_heads=[1, 2, 4, 8], extra_norm_every_n_blocks=0),
         img_size=64, window_size=[4, 4, 4, 2]),
    'TransferSwinTransformerV2':
    dict(arch=dict(embed_dims=32, depths=[1, 1, 2, 1],
                   num_heads=[1, 2, 4, 8], extra_norm_every_n_blocks=0),
         img_size=64, window_size=[4, 4, 4, 2],
         pretrained_window_sizes=[4, 4, 4, 2]),
    'TransferSwinTransformer':
    dict(arch=dict(embed_dims=32, depths=[1, 1, 2, 1],
                   num_heads=[1, 2, 4, 8]), img_size=64, window_size=2),
    'SimMIMVisionTransformer':
    dict(arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                   feedforward_channels=64), img_size=64),
    'TransferVisionTransformer':
    dict(arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                   feedforward_channels=64), img_size=64,
         with_cls_token=False, out_type='featmap'),
}


@pytest.fixture
def mmseg_default_scope():
    """``init_default_scope('mmseg')``; the previous scope is restored."""
    saved = DefaultScope._instance_dict.copy()
    init_default_scope('mmseg')
    yield
    DefaultScope._instance_dict = saved


def check_forward(model, name):
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        outs = model(x)
    assert isinstance(outs, tuple) and outs[-1].dim() == 4
    if name.startswith('SimMIM'):
        grid = 4 if 'Swin' in name else 16
        with torch.no_grad():
            masked = model(x, torch.ones(1, 64 // grid, 64 // grid))
        assert masked[-1].shape == outs[-1].shape


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_build_from_mmpretrain_registry(name):
    model = PRETRAIN_MODELS.build(dict(type=name, **CONFIGS[name]))
    assert type(model) is getattr(backbones, name)
    check_forward(model, name)


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_build_cross_scope_from_mmseg(name, mmseg_default_scope):
    assert DefaultScope.get_current_instance().scope_name == 'mmseg'
    model = SEG_MODELS.build(dict(type=f'mmpretrain.{name}', **CONFIGS[name]))
    assert type(model) is getattr(backbones, name)
    check_forward(model, name)


def test_exports():
    assert set(CONFIGS) <= set(backbones.__all__)
    for name in backbones.__all__:
        assert hasattr(backbones, name), name

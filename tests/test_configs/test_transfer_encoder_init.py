"""Every transfer config (configs/benchmarks, the transfer configs of
configs/synth) loads its encoder strictly: a pre-training checkpoint of the
encoder's family loads with only the transfer differences, one of another
family is an error.

The encoders are shrunk to a tiny arch of the same family; everything else
of the resolved config (image and window sizes, ``out_indices``, output
type, class token, final norm) is kept, and the pre-training side is our
pre-training config of that family, shrunk the same way.
"""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import sgmim  # noqa: F401
from sgmim.models.utils import EncoderCheckpointError

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
TRANSFER_CONFIGS = sorted(CONFIGS.glob('benchmarks/*/*.py')) + [
    p for p in sorted(CONFIGS.glob('synth/*.py'))
    # pre-training configs are not transfer configs
    if not p.name.startswith(('sgmim_', 'simmim_', 'lut_', 'lut-', 'mae_',
                              'mto-'))
]
PRETRAIN_CONFIGS = {
    'swin': 'sgmim/sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-192px.py',
    'swinv2':
    'sgmim/sgmim_swinv2-base-w12_8xb128-amp-coslr-100e_in1k-192px.py',
    'vit': 'sgmim/sgmim_vit-base-p16_8xb128-amp-step-800e_in1k-224px.py',
}
SWIN = dict(embed_dims=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1])
TINY_ARCH = {
    'swin': SWIN,
    'swinv2': dict(SWIN, extra_norm_every_n_blocks=0),
    'vit': dict(embed_dims=16, num_layers=12, num_heads=1,
                feedforward_channels=16),
}

# mmpretrain's Swin v1 table resizing uses scipy's interp2d (scipy < 1.14)
pytestmark = pytest.mark.filterwarnings(
    'ignore:`interp2d` is deprecated:DeprecationWarning')


def family(backbone_type: str) -> str:
    name = backbone_type.split('.')[-1]
    for key, marker in (('swinv2', 'SwinTransformerV2'),
                        ('swin', 'SwinTransformer'),
                        ('vit', 'VisionTransformer')):
        if marker in name:
            return key
    raise ValueError(f'unknown encoder family: {backbone_type}')


def tiny_backbone(backbone: dict) -> dict:
    """``backbone`` with a tiny arch of its family."""
    return dict(backbone, arch=TINY_ARCH[family(backbone['type'])])


def config_backbone(path) -> dict:
    return Config.fromfile(str(path)).model.backbone.to_dict()


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory):
    """Family -> a tiny pre-training checkpoint (``backbone.`` keys)."""
    init_default_scope('mmpretrain')
    paths = {}
    for name, config in PRETRAIN_CONFIGS.items():
        cfg = tiny_backbone(config_backbone(CONFIGS / config))
        cfg.pop('init_cfg', None)
        state = MODELS.build(cfg).state_dict()
        paths[name] = tmp_path_factory.mktemp(name) / f'{name}_epoch_1.pth'
        torch.save({'state_dict': {'backbone.' + k: v
                                   for k, v in state.items()}}, paths[name])
    return paths


def init_from(cfg, checkpoint):
    init_default_scope('mmpretrain')
    cfg = dict(cfg, init_cfg=dict(cfg['init_cfg'], checkpoint=str(checkpoint)))
    MODELS.build(cfg).init_weights()


@pytest.mark.parametrize('path', TRANSFER_CONFIGS,
                         ids=[p.name for p in TRANSFER_CONFIGS])
def test_encoder_loads_strictly(path, checkpoints):
    backbone = config_backbone(path)
    assert backbone['init_cfg'] == dict(type='Pretrained', checkpoint=None,
                                        prefix='backbone.', strict=True)
    cfg = tiny_backbone(backbone)
    own = family(cfg['type'])
    init_from(cfg, checkpoints[own])
    other = checkpoints['vit' if own != 'vit' else 'swin']
    with pytest.raises(EncoderCheckpointError, match=f'^{other} does not fit'):
        init_from(cfg, other)

"""A synth SG-MIM pre-training checkpoint initialises the encoders of the
transfer configs (mmseg UperNet, mmdet Mask R-CNN) through their one
``init_cfg.checkpoint`` key, with every encoder weight loaded."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint
from tool_helpers import CONFIGS, run_tool

SGMIM = CONFIGS / 'synth/sgmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py'
TRANSFER = [
    CONFIGS / 'synth/upernet_swin-nano-w7_1xb4-40it_synthscenes-ade-128x128.py',
    CONFIGS / ('synth/mask-rcnn_swin-nano-w7_fpn_1xb4-40it_'
               'synthscenes-coco-128.py'),
]


@pytest.fixture(scope='module')
def sgmim_checkpoint(synth_workspace, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('sgmim')
    run_tool('train.py', SGMIM, '--work-dir', work_dir, '--cfg-options',
             'train_cfg.max_epochs=1', cwd=synth_workspace)
    return work_dir / 'epoch_1.pth'


def encoder_state(checkpoint):
    state = _load_checkpoint(str(checkpoint))['state_dict']
    return {k[len('backbone.'):]: v for k, v in state.items()
            if k.startswith('backbone.')}


def build_with_checkpoint(config, checkpoint):
    cfg = Config.fromfile(str(config))
    if checkpoint is not None:
        cfg.model.backbone.init_cfg.checkpoint = str(checkpoint)
    init_default_scope(cfg.default_scope)
    registry = __import__(f'{cfg.default_scope}.registry',
                          fromlist=['MODELS'])
    model = registry.MODELS.build(cfg.model)
    model.init_weights()
    return model


@pytest.mark.parametrize('config', TRANSFER, ids=['upernet', 'mask_rcnn'])
def test_every_encoder_weight_is_loaded(sgmim_checkpoint, config):
    source = encoder_state(sgmim_checkpoint)
    model = build_with_checkpoint(config, sgmim_checkpoint)
    target = model.backbone.state_dict()

    # Dense prediction adds output norms for stages 0-2; pre-training only
    # normalises the last stage. Nothing else is new.
    new = {f'norm{i}.{p}' for i in range(3) for p in ('weight', 'bias')}
    assert set(target) - set(source) == new
    # Fine-tuning uses window 4, pre-training window 3: the relative position
    # tables are resized, every other encoder tensor is copied as is.
    resized = {k for k in target if k.endswith('relative_position_bias_table')}
    assert resized and all(source[k].shape != target[k].shape for k in resized)
    for key, value in target.items():
        if key in resized | new or key.endswith('relative_position_index'):
            continue
        assert torch.equal(value, source[key]), key

    result = type(model.backbone).load_state_dict(
        model.backbone, source, strict=False)
    assert set(result.missing_keys) == new
    assert result.unexpected_keys == ['mask_token']


def test_random_init_when_no_checkpoint(sgmim_checkpoint):
    model = build_with_checkpoint(TRANSFER[0], None)
    source = encoder_state(sgmim_checkpoint)
    weight = 'patch_embed.projection.weight'
    assert not torch.equal(model.backbone.state_dict()[weight], source[weight])

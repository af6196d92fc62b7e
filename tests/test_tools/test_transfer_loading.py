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
TRANSFER = {
    'upernet': 'upernet_swin-nano-w7_1xb4-40it_synthscenes-ade-128x128.py',
    'mask_rcnn': 'mask-rcnn_swin-nano-w7_fpn_1xb4-40it_synthscenes-coco-128.py',
    'glpdepth_nyu': 'glpdepth_swin-nano-w3_1xb4-200it_synthscenes-nyu-96x96.py',
    'glpdepth_kitti': ('glpdepth_swin-nano-w3_1xb4-200it_synthscenes-kitti-'
                       '64x64.py'),
    'classification': 'swin-nano-w3_1xb16-coslr-5e_synthscenes-96px.py',
}


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


@pytest.mark.parametrize('name', TRANSFER)
def test_every_encoder_weight_is_loaded(sgmim_checkpoint, name):
    source = encoder_state(sgmim_checkpoint)
    model = build_with_checkpoint(CONFIGS / 'synth' / TRANSFER[name],
                                  sgmim_checkpoint)
    target = model.backbone.state_dict()

    # Dense prediction may add output norms for stages 0-2; pre-training only
    # normalises the last stage. Nothing else is new.
    new = {f'norm{i}.{p}' for i in model.backbone.out_indices if i != 3
           for p in ('weight', 'bias')}
    assert set(target) - set(source) == new
    # Where fine-tuning uses another window than pre-training (3), the
    # relative position tables are resized; every other encoder tensor is
    # copied as is.
    resized = {k for k in target if k.endswith('relative_position_bias_table')
               and source[k].shape != target[k].shape}
    for key, value in target.items():
        if key in resized | new or key.endswith('relative_position_index'):
            continue
        assert torch.equal(value, source[key]), key

    result = type(model.backbone).load_state_dict(
        model.backbone, source, strict=False)
    assert set(result.missing_keys) == new
    assert result.unexpected_keys == ['mask_token']


def test_random_init_when_no_checkpoint(sgmim_checkpoint):
    model = build_with_checkpoint(CONFIGS / 'synth' / TRANSFER['upernet'], None)
    source = encoder_state(sgmim_checkpoint)
    weight = 'patch_embed.projection.weight'
    assert not torch.equal(model.backbone.state_dict()[weight], source[weight])

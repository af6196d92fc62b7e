"""A synth SG-MIM pre-training checkpoint initialises the encoders of the
transfer configs (mmseg UperNet, mmdet Mask R-CNN) through their one
``init_cfg.checkpoint`` key, with every encoder weight loaded; so does its
encoder extracted by tools/model_converters/extract_backbone.py with the
defaults, and tools/train.py fails on a checkpoint of another architecture."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint
from mmpretrain.registry import MODELS
from tool_helpers import CONFIGS, run_tool

SGMIM = CONFIGS / 'synth/sgmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py'
SGMIM_VIT = (CONFIGS /
             'synth/sgmim_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py')
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


def train_depth(workspace, work_dir, checkpoint, check=True):
    """One iteration of the synth NYU depth config from ``checkpoint``."""
    return run_tool(
        'train.py', CONFIGS / 'synth' / TRANSFER['glpdepth_nyu'],
        '--work-dir', work_dir, '--no-validate', '--cfg-options',
        f'model.backbone.init_cfg.checkpoint={checkpoint}',
        'train_cfg.max_iters=1', cwd=workspace, check=check)


def test_train_fails_on_another_architecture(synth_workspace, tmp_path):
    """A ViT pre-training checkpoint in the Swin depth config: an error that
    names the file, not random weights with exit code 0."""
    backbone = Config.fromfile(str(SGMIM_VIT)).model.backbone.to_dict()
    state = MODELS.build(backbone).state_dict()
    checkpoint = tmp_path / 'vit_epoch_1.pth'
    torch.save({'state_dict': {'backbone.' + k: v for k, v in state.items()}},
               checkpoint)
    proc = train_depth(synth_workspace, tmp_path / 'work', checkpoint,
                       check=False)
    assert proc.returncode != 0
    assert (f'EncoderCheckpointError: {checkpoint} does not fit '
            'TransferSwinTransformer') in proc.stderr
    assert 'missing keys (' in proc.stderr
    assert 'unexpected keys (' in proc.stderr
    assert 'size mismatch for patch_embed.projection.weight' in proc.stderr
    assert not list((tmp_path / 'work').rglob('*.pth'))


def test_extracted_backbone_trains(sgmim_checkpoint, synth_workspace,
                                   tmp_path):
    """extract_backbone.py with its defaults, then the file as
    ``init_cfg.checkpoint``: every encoder key loads, none is missing."""
    encoder = tmp_path / 'encoder.pth'
    run_tool('model_converters/extract_backbone.py', sgmim_checkpoint,
             encoder, cwd=synth_workspace)
    proc = train_depth(synth_workspace, tmp_path / 'work', encoder)
    log = proc.stdout + proc.stderr
    assert (f'load backbone. in TransferSwinTransformer from: {encoder}'
            in log)
    for problem in ('missing keys', 'unexpected keys', 'does not fit',
                    'expected transfer differences'):
        assert problem not in log
    assert (tmp_path / 'work' / 'iter_1.pth').is_file()


VIT_FINETUNE = (CONFIGS /
                'synth/vit-nano-p16_1xb16-coslr-5e_synthscenes-96px.py')
VIT_PRETRAIN = {
    'mae': 'mae_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py',
    'lut': 'lut_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py',
    'lut-simmim': ('lut-simmim_vit-nano-p16_1xb16-coslr-20e_synthscenes-'
                   '96px.py'),
}


@pytest.mark.parametrize('name', VIT_PRETRAIN)
def test_vit_nano_finetune_loads_synth_mae_and_lut(name, tmp_path):
    """The synth MAE / LUT / LUT-on-SimMIM model, as built from its config
    (its checkpoint's ``state_dict``: student, decoder, heads and teacher),
    initialises the ViT-nano fine-tuning encoder strictly: every encoder
    tensor is copied, only the pooled-output norm ``ln2`` is new, and the
    final norm ``ln1`` (and SimMIM's mask token) are left out."""
    cfg = Config.fromfile(str(CONFIGS / 'synth' / VIT_PRETRAIN[name]))
    init_default_scope(cfg.default_scope)
    state = MODELS.build(cfg.model).state_dict()
    checkpoint = tmp_path / f'{name}_epoch_20.pth'
    torch.save({'state_dict': state}, checkpoint)
    source = encoder_state(checkpoint)

    model = build_with_checkpoint(VIT_FINETUNE, checkpoint)
    target = model.backbone.state_dict()
    assert set(target) - set(source) == {'ln2.weight', 'ln2.bias'}
    assert set(source) - set(target) == {'ln1.weight', 'ln1.bias'} | (
        {'mask_token'} if name == 'lut-simmim' else set())
    for key, value in target.items():
        if not key.startswith('ln2.'):
            assert torch.equal(value, source[key]), key
    assert model.head.fc.in_features == 64
    assert model.head.fc.out_features == 4

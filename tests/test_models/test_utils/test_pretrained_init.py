"""``init_cfg=dict(type='Pretrained', ...)``: the ``backbone.`` prefix is
optional in the file, and with ``strict=True`` a checkpoint that does not fit
the encoder is an error naming the file and listing the missing keys, the
unexpected keys and the shape mismatches; only what transfer adds (output
norms) or drops (the mask token, an unused final norm) passes."""
import logging
from unittest import mock

import pytest
import torch
from mmpretrain.registry import MODELS

import sgmim  # noqa: F401  (registers the initialiser and the backbones)
from sgmim.models.utils import (EncoderCheckpointError,
                                optional_pretrained_init)

SWIN_ARCH = dict(embed_dims=32, depths=[1, 1, 2, 1], num_heads=[1, 2, 4, 8])
VIT_ARCH = dict(embed_dims=32, num_layers=2, num_heads=2,
                feedforward_channels=64)


def noisy_state(cfg, seed=0):
    """State dict of a built ``cfg`` whose every tensor differs from a fresh
    initialisation."""
    torch.manual_seed(seed)
    module = MODELS.build(cfg)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn_like(p))
    return module.state_dict()


def swin_pretrain_state():
    return noisy_state(dict(type='SimMIMSwinTransformer', arch=SWIN_ARCH,
                            img_size=96,
                            stage_cfgs=dict(block_cfgs=dict(window_size=3))))


def vit_pretrain_state():
    return noisy_state(dict(type='SimMIMVisionTransformer', arch=VIT_ARCH,
                            img_size=96, patch_size=16))


def save(path, state, prefix='backbone.'):
    """A pre-training-style file: the encoder under ``prefix`` and, when
    prefixed, a decoder beside it."""
    state_dict = {prefix + k: v for k, v in state.items()}
    if prefix:
        state_dict['neck.decoder.weight'] = torch.randn(4, 4)
    torch.save({'state_dict': state_dict, 'meta': {}}, path)
    return path


def transfer(cfg, checkpoint, strict=True):
    torch.manual_seed(1)
    backbone = MODELS.build(dict(
        cfg, init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint),
                           prefix='backbone.', strict=strict)))
    backbone.init_weights()
    return backbone


def transfer_swin(checkpoint, strict=True, out_indices=(3, )):
    return transfer(
        dict(type='TransferSwinTransformer', arch=SWIN_ARCH, img_size=96,
             window_size=3, out_indices=out_indices), checkpoint, strict)


@pytest.mark.parametrize('prefix', ['backbone.', ''],
                         ids=['full-checkpoint', 'bare-encoder'])
def test_right_checkpoint_loads_every_weight(tmp_path, prefix):
    source = swin_pretrain_state()
    path = save(tmp_path / 'swin.pth', source, prefix)
    target = transfer_swin(path).state_dict()
    assert set(source) - set(target) == {'mask_token'}
    assert set(target) == set(source) - {'mask_token'}
    for key, value in target.items():
        assert torch.equal(value, source[key]), key


def test_wrong_architecture_is_an_error_naming_the_file(tmp_path):
    path = save(tmp_path / 'vit_epoch_1.pth', vit_pretrain_state())
    with pytest.raises(EncoderCheckpointError) as info:
        transfer_swin(path)
    message = str(info.value)
    assert message.startswith(f'{path} does not fit TransferSwinTransformer')
    assert 'missing keys (' in message and 'stages.0.blocks.0.' in message
    assert 'unexpected keys (' in message and 'layers.0.' in message
    assert ('size mismatch for patch_embed.projection.weight: copying a '
            'param with shape torch.Size([32, 3, 16, 16])') in message


def test_one_missing_encoder_weight_is_an_error(tmp_path):
    source = swin_pretrain_state()
    del source['stages.2.blocks.1.attn.w_msa.qkv.weight']
    path = save(tmp_path / 'swin.pth', source)
    with pytest.raises(EncoderCheckpointError,
                       match=r'missing keys \(1\): '
                       r'stages\.2\.blocks\.1\.attn\.w_msa\.qkv\.weight\n'):
        transfer_swin(path)


def test_one_shape_mismatch_is_an_error(tmp_path):
    source = swin_pretrain_state()
    source['stages.0.blocks.0.ffn.layers.1.weight'] = torch.zeros(32, 64)
    path = save(tmp_path / 'swin.pth', source)
    with pytest.raises(EncoderCheckpointError) as info:
        transfer_swin(path)
    message = str(info.value)
    assert 'shape mismatches (1):' in message
    assert 'missing keys' not in message
    assert ('size mismatch for stages.0.blocks.0.ffn.layers.1.weight: copying'
            ' a param with shape torch.Size([32, 64]) from checkpoint, the '
            'shape in current model is torch.Size([32, 128])') in message


def test_transfer_differences_pass_and_are_logged(tmp_path):
    """Dense outputs add norm0-2 (Swin); MAE-style fine-tuning adds the
    pooled-output norm ln2 and drops the final norm ln1 (ViT); both drop the
    mask token."""
    swin = save(tmp_path / 'swin.pth', swin_pretrain_state())
    vit = save(tmp_path / 'vit.pth', vit_pretrain_state())
    with mock.patch.object(optional_pretrained_init, 'print_log') as log:
        transfer_swin(swin, out_indices=(0, 1, 2, 3))
        transfer(dict(type='VisionTransformer', arch=VIT_ARCH, img_size=96,
                      patch_size=16, out_type='avg_featmap',
                      final_norm=False), vit)
    notes = [c.args[0] for c in log.call_args_list
             if 'expected transfer differences' in c.args[0]]
    assert len(notes) == 2
    assert ('missing keys (6): norm0.weight, norm0.bias, norm1.weight, '
            'norm1.bias, norm2.weight, norm2.bias') in notes[0]
    assert 'unexpected keys (1): mask_token' in notes[0]
    assert 'missing keys (2): ln2.weight, ln2.bias' in notes[1]
    assert 'unexpected keys (3): mask_token, ln1.weight, ln1.bias' in notes[1]


def test_not_strict_warns_and_trains_on(tmp_path):
    path = save(tmp_path / 'vit.pth', vit_pretrain_state())
    with mock.patch.object(optional_pretrained_init, 'print_log') as log:
        transfer_swin(path, strict=False)
    warnings = [c.args[0] for c in log.call_args_list
                if c.kwargs.get('level') == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith(f'{path} does not fit')
    assert 'init_cfg.strict=False' in warnings[0]

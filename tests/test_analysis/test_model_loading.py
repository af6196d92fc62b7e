"""load_model: the three libraries, strict loading, ``random``."""
import pytest
import torch
from analysis_helpers import save_checkpoint
from log_capture import mmengine_messages

from sgmim.analysis.loading import (CheckpointMismatchError, build_model,
                                    load_model)
from sgmim.utils.run_config import load_config


@pytest.mark.parametrize('name,model_type', [
    ('vit', 'SimMIM'), ('swin', 'SimMIM'), ('swinv2', 'SimMIM'),
    ('seg', 'EncoderDecoder'), ('det', 'MaskRCNN')])
def test_loads_every_library_exactly(tiny_configs, tiny_checkpoints, name,
                                     model_type):
    model = load_model(tiny_configs[name], tiny_checkpoints[name])
    assert type(model).__name__ == model_type
    assert not model.training and model.cfg.default_scope in (
        'mmpretrain', 'mmseg', 'mmdet')
    saved = torch.load(tiny_checkpoints[name])['state_dict']
    state = model.state_dict()
    assert set(state) == set(saved)
    for key, value in saved.items():
        assert torch.equal(state[key], value), key


def _state(tiny_checkpoints, name='vit'):
    return torch.load(tiny_checkpoints[name])['state_dict']


def test_bare_and_ddp_state_dicts(tiny_configs, tiny_checkpoints, tmp_path):
    state = _state(tiny_checkpoints)
    torch.save(state, tmp_path / 'bare.pth')
    torch.save({'state_dict': {'module.' + k: v for k, v in state.items()}},
               tmp_path / 'ddp.pth')
    for file in ('bare.pth', 'ddp.pth'):
        model = load_model(tiny_configs['vit'], str(tmp_path / file))
        assert torch.equal(model.backbone.ln1.weight,
                           state['backbone.ln1.weight'])


def test_mismatch_lists_missing_unexpected_and_shapes(tiny_configs,
                                                      tiny_checkpoints,
                                                      tmp_path):
    state = _state(tiny_checkpoints)
    del state['backbone.ln1.weight']
    state['backbone.extra.weight'] = torch.zeros(1)
    state['backbone.ln1.bias'] = torch.zeros(3)
    path = tmp_path / 'bad.pth'
    torch.save({'state_dict': state}, path)
    with pytest.raises(CheckpointMismatchError) as info:
        load_model(tiny_configs['vit'], str(path))
    error = info.value
    assert error.missing == ['backbone.ln1.weight']
    assert error.unexpected == ['backbone.extra.weight']
    assert len(error.mismatched) == 1 and 'backbone.ln1.bias' in \
        error.mismatched[0]
    message = str(error)
    for text in ('1 missing keys: backbone.ln1.weight',
                 '1 unexpected keys: backbone.extra.weight',
                 '1 shape mismatch keys', str(path)):
        assert text in message


def test_a_checkpoint_of_another_model_is_refused(tiny_configs,
                                                  tiny_checkpoints):
    with pytest.raises(CheckpointMismatchError, match='missing keys'):
        load_model(tiny_configs['swin'], tiny_checkpoints['vit'])


def test_random_initialisation_is_explicit(tiny_configs):
    # the seg config's backbone has a Pretrained init_cfg to a missing file
    with mmengine_messages() as messages:
        torch.manual_seed(0)
        first = load_model(tiny_configs['seg'], 'random')
        torch.manual_seed(0)
        again = load_model(tiny_configs['seg'], 'random')
    assert any('random initialisation' in m and 'model.backbone.init_cfg' in m
               for m in messages)
    assert torch.equal(first.backbone.layers[0].attn.qkv.weight,
                       again.backbone.layers[0].attn.qkv.weight)
    fresh = build_model(load_config(tiny_configs['vit']))
    torch.manual_seed(1)
    fresh.init_weights()
    assert fresh.backbone.mask_token.abs().sum() > 0


def test_missing_files(tiny_configs, tmp_path):
    with pytest.raises(FileNotFoundError, match='config file not found'):
        load_model(str(tmp_path / 'none.py'), 'random')
    with pytest.raises(FileNotFoundError, match='none.pth'):
        load_model(tiny_configs['vit'], str(tmp_path / 'none.pth'))
    model = build_model(load_config(tiny_configs['vit']))
    path = save_checkpoint(model, tmp_path / 'ok.pth')
    assert load_model(tiny_configs['vit'], path, device='cpu') is not None

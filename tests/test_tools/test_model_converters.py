"""Checkpoint converters: synthetic published checkpoints round-trip.

The published layouts are produced here by an inverse mapping written
independently of :mod:`sgmim.utils.checkpoint_conversion`; the Swin
patch-merging reorder is checked by running a Microsoft-style
``PatchMerging`` against mmpretrain's on the same input.
"""
import argparse
import importlib.util
import re

import pytest
import torch
import torch.nn as nn
from mmpretrain.models import (MAEPretrainDecoder, MAEViT, NonLinearNeck,
                               SimMIMSwinTransformer, VisionTransformer)
from tool_helpers import TOOLS, run_tool

import sgmim  # noqa: F401
from sgmim.models.backbones import (SimMIMSwinTransformerV2,
                                    SimMIMVisionTransformer)
from sgmim.utils.checkpoint_conversion import (ShapeMismatchError,
                                               UnknownKeysError,
                                               compare_with_target,
                                               convert_published,
                                               extract_backbone)
from sgmim.utils.checkpoint_loading import load_checkpoint_file

SWIN_ARCH = dict(embed_dims=16, depths=[1, 2], num_heads=[2, 2])


def tiny_swin():
    return SimMIMSwinTransformer(
        arch=SWIN_ARCH, img_size=32, out_indices=(1, ),
        stage_cfgs=dict(block_cfgs=dict(window_size=4)))


def tiny_swin_v2():
    return SimMIMSwinTransformerV2(
        arch=dict(SWIN_ARCH, extra_norm_every_n_blocks=0), img_size=32,
        window_size=[4, 4], out_indices=(1, ))


def tiny_vit(cls=SimMIMVisionTransformer):
    return cls(arch=dict(embed_dims=16, num_layers=2, num_heads=2,
                         feedforward_channels=32), img_size=32, patch_size=8)


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, TOOLS / 'model_converters' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- inverses
def ms_swin_key(key, v2):
    """Our Swin key -> Microsoft SimMIM ``encoder.*`` key (independent)."""
    key = key.replace('patch_embed.projection.', 'patch_embed.proj.')
    key = key.replace('.attn.w_msa.', '.attn.')
    key = key.replace('.ffn.layers.0.0.', '.mlp.fc1.')
    key = key.replace('.ffn.layers.1.', '.mlp.fc2.')
    key = re.sub(r'^norm\d+\.', 'norm.', key)
    down = re.match(r'stages\.(\d+)\.downsample\.(.*)', key)
    if down:  # v2 merges at the start of the next stage
        stage = int(down.group(1)) - (1 if v2 else 0)
        key = f'layers.{stage}.downsample.{down.group(2)}'
    return 'encoder.' + key.replace('stages.', 'layers.')


def ms_vit_key(key):
    """Our ViT key -> MAE/timm key (independent)."""
    key = re.sub(r'^layers\.', 'blocks.', key)
    for ours, theirs in (('.ln1.', '.norm1.'),
                         ('.ln2.', '.norm2.'),
                         ('.ffn.layers.0.0.', '.mlp.fc1.'),
                         ('.ffn.layers.1.', '.mlp.fc2.'),
                         ('patch_embed.projection.', 'patch_embed.proj.')):
        key = key.replace(ours, theirs)
    return re.sub(r'^ln1\.', 'norm.', key)


def random_published(target_sd, key_fn):
    """``(published dict, {published key: our key})`` with random values."""
    source, names = {}, {}
    for key, value in target_sd.items():
        published = key_fn(key)
        source[published] = (torch.randn(value.shape)
                             if value.is_floating_point() else value.clone())
        names[published] = key
    return source, names


class MicrosoftPatchMerging(nn.Module):
    """The SimMIM/Swin repo's PatchMerging (v1 pre-norm, v2 post-norm)."""

    def __init__(self, dim, v2):
        super().__init__()
        self.v2 = v2
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(2 * dim if v2 else 4 * dim)

    def forward(self, x, H, W):
        x = x.view(x.shape[0], H, W, -1)
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2],
                       x[:, 0::2, 1::2], x[:, 1::2, 1::2]], -1)
        x = x.view(x.shape[0], -1, x.shape[-1])
        if self.v2:
            return self.norm(self.reduction(x))
        return self.reduction(self.norm(x))


def check_merging(model, source, v2):
    """Our converted downsample equals Microsoft's on a random input."""
    prefix = 'encoder.layers.0.downsample.'
    ms = MicrosoftPatchMerging(16, v2)
    ms.load_state_dict({k[len(prefix):]: v for k, v in source.items()
                        if k.startswith(prefix)})
    ours = model.stages[1 if v2 else 0].downsample
    x = torch.randn(2, 8 * 8, 16)
    expected = ms(x, 8, 8)
    actual, size = ours(x, (8, 8))
    assert size == (4, 4)
    torch.testing.assert_close(actual, expected, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- tests
@pytest.mark.parametrize('build, v2', [(tiny_swin, False),
                                       (tiny_swin_v2, True)])
@pytest.mark.parametrize('fmt', ['simmim', 'sgmim'])
def test_swin_round_trip(build, v2, fmt):
    model = build()
    source, names = random_published(model.state_dict(),
                                     lambda k: ms_swin_key(k, v2))
    source['encoder.layers.0.blocks.0.attn_mask'] = torch.zeros(4, 16, 16)
    source['decoder.0.weight'] = torch.randn(48, 32, 1, 1)
    if fmt == 'sgmim':
        source['structure_encoder.patch_embed.proj.weight'] = torch.randn(
            8, 1, 4, 4)
        source['fusion.cross_attn.q.weight'] = torch.randn(32, 32)
    converted, dropped = convert_published({'model': source}, fmt)
    assert 'encoder.layers.0.blocks.0.attn_mask' in dropped
    assert 'decoder.0.weight' in dropped
    assert compare_with_target(converted, model.state_dict()) == ([], [])
    model.load_state_dict(converted, strict=True)
    for published, ours in names.items():
        if '.downsample.' in published and (
                'reduction' in published or not v2):
            continue  # reordered: checked functionally below
        torch.testing.assert_close(converted[ours], source[published],
                                   rtol=0, atol=0)
    check_merging(model, source, v2)


def test_mae_vit_round_trip():
    model = tiny_vit(VisionTransformer)
    source, names = random_published(model.state_dict(), ms_vit_key)
    source['mask_token'] = torch.randn(1, 1, 8)  # decoder width
    source['decoder_embed.weight'] = torch.randn(8, 16)
    source['decoder_blocks.0.norm1.weight'] = torch.randn(8)
    source['decoder_pred.weight'] = torch.randn(192, 8)
    converted, dropped = convert_published({'model': source}, 'mae')
    assert any('decoder_pred' in k for k in dropped)
    model.load_state_dict(converted, strict=True)
    for published, ours in names.items():
        torch.testing.assert_close(converted[ours], source[published],
                                   rtol=0, atol=0)
    # our SimMIM ViT only lacks the (fresh) mask token
    missing, unexpected = compare_with_target(converted,
                                              tiny_vit().state_dict())
    assert (missing, unexpected) == (['mask_token'], [])


# ---------------------------------------------------------------- LUT
def tiny_lut():
    """Our LUT model's parts under their module names: mmpretrain's MAE
    encoder and decoder, NonLinearNeck projector and predictor (Linear
    without bias, BN, ReLU, Linear without bias; no last BN)."""
    mlp = dict(in_channels=16, hid_channels=32, out_channels=16,
               num_layers=2, with_bias=False, with_last_bn=False,
               with_last_bias=False, with_avg_pool=False)
    return nn.ModuleDict(dict(
        backbone=MAEViT(arch=dict(embed_dims=16, num_layers=2, num_heads=2,
                                  feedforward_channels=32), img_size=32,
                        patch_size=8),
        neck=MAEPretrainDecoder(num_patches=16, patch_size=8, embed_dim=16,
                                decoder_embed_dim=8, decoder_depth=1,
                                decoder_num_heads=2),
        projector=NonLinearNeck(**mlp),
        predictor=NonLinearNeck(**mlp)))


def lut_authors_key(key):
    """Our LUT key -> the authors' ``models_lut.py`` key (independent)."""
    part, rest = key.split('.', 1)
    if part == 'backbone':
        return ms_vit_key(rest)
    if part == 'neck':
        if rest.startswith('ln1.'):
            return 'decoder_norm.' + rest[len('ln1.'):]
        if rest.startswith('decoder_blocks.'):
            index, inner = rest[len('decoder_blocks.'):].split('.', 1)
            block = ms_vit_key(f'layers.{index}.{inner}')
            return 'decoder_' + block
        return rest
    layer, inner = rest.split('.', 1)
    index = {'fc0': '0', 'bn0': '1', 'fc1': '3'}[layer]
    return f'{"head" if part == "projector" else "predictor"}.{index}.{inner}'


def lut_checkpoint():
    """The authors' saved dict (main_lut.py / util/misc.py save_dict) with
    independent random student and EMA weights."""
    ours = tiny_lut().state_dict()
    student, names = random_published(ours, lut_authors_key)
    ema, _ = random_published(ours, lut_authors_key)
    assert 'head.1.running_var' in student and 'decoder_norm.bias' in student
    assert 'decoder_blocks.0.mlp.fc1.weight' in student
    return dict(model=student,
                model_ema={'ema.' + k: v for k, v in ema.items()},
                optimizer={'state': {}, 'param_groups': []}, epoch=3,
                scaler={'scale': 65536.0}), names


@pytest.mark.parametrize('ema', [False, True])
def test_lut_whole_model_round_trip(ema):
    checkpoint, names = lut_checkpoint()
    converted, dropped = convert_published(checkpoint, 'lut', ema=ema)
    assert dropped == []
    model = tiny_lut()
    model.load_state_dict(converted, strict=True)
    source = ({k[len('ema.'):]: v for k, v in checkpoint['model_ema'].items()}
              if ema else checkpoint['model'])
    for published, ours in names.items():
        torch.testing.assert_close(converted[ours], source[published],
                                   rtol=0, atol=0)


def test_lut_unknown_keys_listed():
    checkpoint, _ = lut_checkpoint()
    checkpoint['model']['teacher.blocks.0.norm1.weight'] = torch.zeros(16)
    checkpoint['model']['head.2.weight'] = torch.zeros(16)
    with pytest.raises(UnknownKeysError,
                       match=r'2 keys are not in the LUT layout.*'
                       r'teacher\.blocks\.0\.norm1\.weight, head\.2\.weight'):
        convert_published(checkpoint, 'lut')
    checkpoint, _ = lut_checkpoint()
    checkpoint['model_ema']['blocks.0.norm1.weight'] = torch.zeros(16)
    with pytest.raises(UnknownKeysError, match="lack the 'ema.' prefix: "
                       r'blocks\.0\.norm1\.weight$'):
        convert_published(checkpoint, 'lut', ema=True)
    del checkpoint['model_ema']
    with pytest.raises(KeyError, match='no model_ema entry'):
        convert_published(checkpoint, 'lut', ema=True)
    with pytest.raises(ValueError, match='ema=True needs format lut'):
        convert_published(checkpoint, 'mae', ema=True)


def test_convert_published_tool_lut(tmp_path):
    """As a user runs it on the authors' file (with its argparse ``args``):
    the whole model comes out under our module names, and the encoder
    initialises a fine-tuning ViT through ``prefix='backbone.'``."""
    checkpoint, _ = lut_checkpoint()
    checkpoint['args'] = argparse.Namespace(model='lut_vit_base_patch16',
                                            blr=1.5e-4, w_bc=0.25)
    src = tmp_path / 'checkpoint-1599.pth'
    torch.save(checkpoint, src)
    config = tmp_path / 'target.py'
    config.write_text(
        "model = dict(backbone=dict(type='MAEViT', arch=dict(embed_dims=16, "
        "num_layers=2, num_heads=2, feedforward_channels=32), img_size=32, "
        "patch_size=8))\n")
    tool = load_tool('convert_published')
    for ema in (False, True):
        dst = tmp_path / f'lut_{ema}.pth'
        args = [src, dst, '--format', 'lut', '--config', config,
                *(['--ema'] if ema else [])]
        if ema:  # once as a user runs it, once in-process
            run_tool('model_converters/convert_published.py', *args,
                     cwd=tmp_path)
        else:
            tool.main([str(a) for a in args])
        out = load_checkpoint_file(str(dst))
        assert out['meta']['entry'] == ('model_ema' if ema else 'model')
        tiny_lut().load_state_dict(out['state_dict'], strict=True)
        entry = checkpoint['model_ema' if ema else 'model']
        prefix = 'ema.' if ema else ''
        torch.testing.assert_close(out['state_dict']['projector.bn0.weight'],
                                   entry[prefix + 'head.1.weight'])
        vit = VisionTransformer(
            arch=dict(embed_dims=16, num_layers=2, num_heads=2,
                      feedforward_channels=32), img_size=32, patch_size=8,
            init_cfg=dict(type='Pretrained', checkpoint=str(dst),
                          prefix='backbone.'))
        vit.init_weights()
        torch.testing.assert_close(vit.layers[1].ffn.layers[1].weight,
                                   entry[prefix + 'blocks.1.mlp.fc2.weight'])
    for extra, message in (
            (['--format', 'mae', '--ema'], '--ema applies to --format lut'),
            (['--format', 'lut', '--out-prefix', ''],
             '--out-prefix does not apply to --format lut')):
        with pytest.raises(SystemExit, match=message):
            tool.main([str(src), str(tmp_path / 'x.pth'), *extra, '--arch',
                       'vit-base'])
    assert not (tmp_path / 'x.pth').exists()


def test_simmim_vit_qv_bias_merged():
    model = tiny_vit()
    source, names = random_published(model.state_dict(),
                                     lambda k: 'encoder.' + ms_vit_key(k))
    q_bias, v_bias = torch.randn(16), torch.randn(16)
    del source['encoder.blocks.0.attn.qkv.bias']
    source['encoder.blocks.0.attn.q_bias'] = q_bias
    source['encoder.blocks.0.attn.v_bias'] = v_bias
    converted, _ = convert_published({'model': source}, 'simmim')
    model.load_state_dict(converted, strict=True)
    torch.testing.assert_close(converted['layers.0.attn.qkv.bias'],
                               torch.cat([q_bias, torch.zeros(16), v_bias]))


def test_shape_mismatch_names_key_and_shapes():
    target = tiny_swin().state_dict()
    converted = dict(target)
    converted['norm1.weight'] = torch.zeros(5)
    with pytest.raises(ShapeMismatchError,
                       match=r'norm1\.weight: converted \(5,\) vs target '
                       r'\(32,\)'):
        compare_with_target(converted, target)


def test_unexpected_and_missing_reported():
    target = tiny_swin().state_dict()
    converted = {k: v for k, v in target.items() if k != 'norm1.bias'}
    converted['rel_pos_bias.table'] = torch.zeros(3)
    assert compare_with_target(converted, target) == (['norm1.bias'],
                                                      ['rel_pos_bias.table'])


def test_extract_backbone_function():
    state = {'backbone.a': torch.ones(1), 'backbone.mask_token': torch.ones(1),
             'neck.b': torch.ones(1), 'backbone.mask_tokenizer': torch.ones(1)}
    kept, dropped = extract_backbone(state)
    assert list(kept) == ['backbone.a', 'backbone.mask_tokenizer']
    assert sorted(dropped) == ['backbone.mask_token', 'neck.b']
    kept, _ = extract_backbone(state, keep_prefix=False, drop=())
    assert list(kept) == ['a', 'mask_token', 'mask_tokenizer']
    with pytest.raises(KeyError, match='encoder.'):
        extract_backbone(state, prefix='encoder.')


def test_extract_backbone_tool(tmp_path, capsys):
    model = tiny_swin()
    state = {'backbone.' + k: v for k, v in model.state_dict().items()}
    state['neck.decoder.weight'] = torch.randn(3)
    src = tmp_path / 'epoch_1.pth'
    torch.save({'state_dict': state, 'meta': {'epoch': 1}}, src)
    tool = load_tool('extract_backbone')
    tool.main([str(src), str(tmp_path / 'out' / 'backbone.pth')])
    assert 'kept' in capsys.readouterr().out
    out = load_checkpoint_file(str(tmp_path / 'out' / 'backbone.pth'))
    assert out['meta']['source'] == str(src)
    assert out['meta']['source_meta'] == {'epoch': 1}
    # the transfer configs' layout: backbone. keys, pre-training-only dropped
    assert set(out['state_dict']) == set(state) - {
        'backbone.mask_token', 'neck.decoder.weight'}
    tool.main([str(src), str(tmp_path / 'out' / 'bare.pth'),
               '--strip-prefix'])
    bare = load_checkpoint_file(str(tmp_path / 'out' / 'bare.pth'))
    missing, unexpected = model.load_state_dict(bare['state_dict'],
                                                strict=False)
    assert (missing, unexpected) == (['mask_token'], [])
    assert not list((tmp_path / 'out').glob('*.tmp'))


def test_convert_published_tool(tmp_path):
    """End to end as a user runs it: convert, then load into the target."""
    config = tmp_path / 'target.py'
    config.write_text(
        "model = dict(backbone=dict(type='mmpretrain.SimMIMSwinTransformer', "
        f"arch={SWIN_ARCH!r}, img_size=32, out_indices=(1, ), "
        "stage_cfgs=dict(block_cfgs=dict(window_size=4))))\n")
    source, _ = random_published(tiny_swin().state_dict(),
                                 lambda k: ms_swin_key(k, False))
    source['encoder.extra.weight'] = torch.zeros(2)
    src, dst = tmp_path / 'simmim.pth', tmp_path / 'converted.pth'
    torch.save({'model': source}, src)
    proc = run_tool('model_converters/convert_published.py', src, dst,
                    '--format', 'simmim', '--config', config, cwd=tmp_path,
                    check=False)
    assert proc.returncode != 0 and 'extra.weight' in proc.stdout
    assert not dst.exists()
    run_tool('model_converters/convert_published.py', src, dst, '--format',
             'simmim', '--config', config, '--allow-unexpected', cwd=tmp_path)
    state = load_checkpoint_file(str(dst))['state_dict']
    assert all(k.startswith('backbone.') for k in state)
    model = tiny_swin()
    model.load_state_dict(
        {k[len('backbone.'):]: v for k, v in state.items()
         if k != 'backbone.extra.weight'}, strict=True)


def test_convert_published_tool_shape_mismatch(tmp_path, capsys):
    source, _ = random_published(tiny_vit().state_dict(),
                                 lambda k: ms_vit_key(k))
    src = tmp_path / 'mae.pth'
    torch.save({'model': source}, src)
    tool = load_tool('convert_published')
    with pytest.raises(SystemExit) as exit_info:
        tool.main([str(src), str(tmp_path / 'x.pth'), '--format', 'mae',
                   '--arch', 'vit-base'])
    message = str(exit_info.value.code)
    assert 'patch_embed.projection.weight' in message
    assert '(16, 3, 8, 8)' in message and '(768, 3, 16, 16)' in message
    assert not (tmp_path / 'x.pth').exists()

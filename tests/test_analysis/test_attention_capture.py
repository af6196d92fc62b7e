"""Captured attention reproduces each layer's real output (float64), and the
window geometry matches an independent forward mapping of the tokens."""
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmpretrain.models import (ImageClassifier, SimMIMSwinTransformer,
                               SwinTransformer, VisionTransformer)
from mmpretrain.models.utils.attention import (MultiheadAttention,
                                               ShiftWindowMSA, WindowMSAV2)

from sgmim.analysis.attention import (attention_distance, attention_entropy,
                                      head_kl_divergence)
from sgmim.analysis.attention_capture import (AttentionCapture,
                                              attention_statistics,
                                              default_attention_layers,
                                              vit_attention)
from sgmim.analysis.features import run_backbone
from sgmim.analysis.loading import load_model
from sgmim.models.backbones import (SimMIMSwinTransformerV2,
                                    SimMIMVisionTransformer)

TINY_VIT = dict(embed_dims=32, num_layers=2, num_heads=4,
                feedforward_channels=64)
TINY_SWIN = dict(embed_dims=16, depths=[2, 2], num_heads=[2, 2])


def randomised(model, seed=0):
    """Float64 eval model with every parameter random (relative position
    tables, q/v biases and layer scales are zeros or constants at init)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * .3)
    model.double().eval()
    return model


def images(size, batch=2, seed=1):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 3, *size, generator=gen, dtype=torch.float64)


class LayerIO:
    """Inputs and outputs of modules, by name (independent of the capture);
    for windows also the window batch fed to ``w_msa``."""

    def __init__(self, model, names):
        modules = dict(model.named_modules())
        self.io, self.windows, self.handles = {}, {}, []
        for name in names:
            module = modules[name]
            self.handles.append(module.register_forward_hook(
                lambda m, a, o, n=name: self.io.__setitem__(n, (a, o))))
            if isinstance(module, ShiftWindowMSA):
                self.handles.append(module.w_msa.register_forward_pre_hook(
                    lambda m, a, n=name: self.windows.__setitem__(n, a[0])))

    def remove(self):
        for h in self.handles:
            h.remove()


def vit_output(module, x, attn):
    """MultiheadAttention.forward with the given attention."""
    batch, tokens, _ = x.shape
    v = module.qkv(x).reshape(batch, tokens, 3, module.num_heads,
                              module.head_dims)[:, :, 2].transpose(1, 2)
    out = (attn @ v).transpose(1, 2).reshape(batch, tokens, module.embed_dims)
    out = module.gamma1(module.proj(out))
    return v.squeeze(1) + out if module.v_shortcut else out


def window_output(module, windows, attn, hw_shape):
    """ShiftWindowMSA.forward from the w_msa input and the attention:
    attention @ v, projection, merge windows, undo the shift, crop."""
    w_msa = module.w_msa
    n, tokens, channels = windows.shape
    if isinstance(w_msa, WindowMSAV2):
        qkv = F.linear(windows, w_msa.qkv.weight, torch.cat(
            (w_msa.q_bias, torch.zeros_like(w_msa.v_bias), w_msa.v_bias)))
    else:
        qkv = w_msa.qkv(windows)
    v = qkv.reshape(n, tokens, 3, w_msa.num_heads, -1)[:, :, 2].transpose(
        1, 2)
    out = w_msa.proj((attn @ v).transpose(1, 2).reshape(n, tokens, channels))
    size = module.window_size
    h, w = hw_shape
    pad_h, pad_w = -(-h // size) * size, -(-w // size) * size
    out = ShiftWindowMSA.window_reverse(
        out.view(-1, size, size, channels), pad_h, pad_w, size)
    if module.shift_size:
        out = torch.roll(out, (module.shift_size, module.shift_size), (1, 2))
    return out[:, :h, :w].reshape(-1, h * w, channels)


def expected_geometry(hw_shape, size, shift, stride):
    """Per window (row-major) and token: pixel centre and whether it is an
    image token, by mapping every padded-map position forward (roll by
    −shift, then partition); valid pairs: two image tokens less than a
    window apart in the unshifted map (what the shift mask allows when the
    padded map is at least two windows wide)."""
    h, w = hw_shape
    pad_h, pad_w = -(-h // size) * size, -(-w // size) * size
    per_row = pad_w // size
    coords = torch.zeros(pad_h * pad_w // size**2, size * size, 2,
                         dtype=torch.float64)
    pos = torch.zeros(coords.shape[:2] + (2, ), dtype=torch.long)
    for y in range(pad_h):
        for x in range(pad_w):
            ys, xs = (y - shift) % pad_h, (x - shift) % pad_w
            window = (ys // size) * per_row + xs // size
            token = (ys % size) * size + xs % size
            coords[window, token] = torch.tensor([(y + .5) * stride,
                                                  (x + .5) * stride])
            pos[window, token] = torch.tensor([y, x])
    inside = (pos[..., 0] < h) & (pos[..., 1] < w)
    near = ((pos[:, :, None] - pos[:, None]).abs() < size).all(-1)
    return coords, inside[:, :, None] & inside[:, None] & near


def test_vit_capture_reproduces_every_layer_output():
    model = randomised(VisionTransformer(
        arch=TINY_VIT, img_size=32, patch_size=8, qkv_bias=False,
        layer_scale_init_value=.1))
    names = default_attention_layers(model)
    assert names == ['layers.0.attn', 'layers.1.attn']
    io = LayerIO(model, names)
    with AttentionCapture(model, names) as capture:
        model(images((32, 32)))
    io.remove()
    modules = dict(model.named_modules())
    for name in names:
        (x, ), out = io.io[name]
        record = capture.records[name]
        assert record.attn.shape == (2, 4, 17, 17)
        assert record.num_prefix_tokens == 1 and record.valid is None
        torch.testing.assert_close(
            vit_output(modules[name], x, record.attn), out, atol=1e-10,
            rtol=0)
        # patch centres, 8 px apart, row-major (y, x)
        torch.testing.assert_close(
            record.coords[0, [0, 1, 4]],
            torch.tensor([[4., 4.], [4., 12.], [12., 4.]],
                         dtype=torch.float64))


def test_vit_attention_reproduces_qk_scale_and_v_shortcut():
    """With qk_scale set mmpretrain's fallback divides by head_dim^-1/2,
    i.e. the logits are q·k·√d; reproduced as applied."""
    module = randomised(MultiheadAttention(
        embed_dims=8, num_heads=1, input_dims=12, qk_scale=.5,
        v_shortcut=True))
    x = torch.randn(2, 5, 12, dtype=torch.float64)
    attn = vit_attention(module, x)
    q, k = module.qkv(x).reshape(2, 5, 3, 8)[:, :, :2].unbind(2)
    torch.testing.assert_close(
        attn[:, 0], (q @ k.transpose(1, 2) * math.sqrt(8)).softmax(-1))
    torch.testing.assert_close(vit_output(module, x, attn), module(x),
                               atol=1e-10, rtol=0)


@pytest.mark.parametrize('version', ['v1', 'v2'])
def test_swin_capture_reproduces_shifted_padded_windows(version):
    """10×10 and 5×5 maps with 4×4 windows (padding), blocks 1 shifted."""
    if version == 'v1':
        model = SwinTransformer(arch=TINY_SWIN, img_size=40, window_size=4,
                                out_indices=(1, ))
    else:
        model = SimMIMSwinTransformerV2(
            arch=dict(TINY_SWIN, extra_norm_every_n_blocks=0), img_size=40,
            window_size=[4, 4], pretrained_window_sizes=[0, 3],
            drop_path_rate=0., out_indices=(1, ))
    model = randomised(model)
    names = default_attention_layers(model)
    assert names == [f'stages.{s}.blocks.{b}.attn' for s in (0, 1)
                     for b in (0, 1)]
    modules = dict(model.named_modules())
    if version == 'v2':  # exercise the logit-scale clamp at log(100)
        modules[names[1]].w_msa.logit_scale.data[0] = 6.
    io = LayerIO(model, names)
    with AttentionCapture(model, names) as capture:
        model(images((40, 40)))
    io.remove()
    for name, hw, stride in zip(names, [(10, 10)] * 2 + [(5, 5)] * 2,
                                [4, 4, 8, 8]):
        module, record = modules[name], capture.records[name]
        (query, hw_shape), out = io.io[name]
        assert tuple(hw_shape) == hw
        torch.testing.assert_close(
            window_output(module, io.windows[name], record.attn, hw), out,
            atol=1e-10, rtol=0)
        coords, valid = expected_geometry(hw, 4, module.shift_size, stride)
        per_image = coords.shape[0]
        assert record.attn.shape == (2 * per_image, 2, 16, 16)
        torch.testing.assert_close(record.coords[:per_image], coords)
        torch.testing.assert_close(record.coords[per_image:], coords)
        assert torch.equal(record.valid[:per_image], valid)
        stats = attention_statistics(record)
        assert stats['weight'] == 2 * hw[0] * hw[1]


def test_shift_mask_pairs_carry_no_attention():
    """12×12 map, no padding (with 10×10 the 2 padding rows are exactly
    the ones the shift moves, so no image pair is forbidden)."""
    model = randomised(SwinTransformer(arch=TINY_SWIN, img_size=48,
                                       window_size=4, out_indices=(1, )))
    name = 'stages.0.blocks.1.attn'
    with AttentionCapture(model, [name]) as capture:
        model(images((48, 48), batch=1))
    record = capture.records[name]
    coords, valid = expected_geometry((12, 12), 4, 2, 4)
    assert torch.equal(record.valid, valid)
    inside = (coords < 48).all(-1)
    forbidden = inside[:, :, None] & inside[:, None] & ~valid
    assert forbidden.any()
    assert record.attn.permute(1, 0, 2, 3)[:, forbidden].max() < 1e-30


def test_statistics_of_a_record_are_the_library_functions_on_patches():
    model = randomised(SimMIMVisionTransformer(arch=TINY_VIT, img_size=32,
                                               patch_size=8))
    name = 'layers.1.attn'
    mask = torch.zeros(2, 4, 4)
    mask[:, :2] = 1
    with AttentionCapture(model, [name]) as capture:
        model(images((32, 32)), mask)
    record = capture.records[name]
    patches = record.attn[..., 1:, 1:]
    stats = attention_statistics(record, kl_mode='to_mean')
    torch.testing.assert_close(stats['distance'],
                               attention_distance(patches, (4, 4), 8))
    torch.testing.assert_close(stats['entropy'], attention_entropy(patches))
    torch.testing.assert_close(stats['kl'],
                               head_kl_divergence(patches, 'to_mean'))
    assert stats['weight'] == 2 * 16


def test_models_with_a_backbone_and_mmpretrain_simmim_swin():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        classifier = ImageClassifier(backbone=dict(
            type='VisionTransformer', arch=TINY_VIT, img_size=32,
            patch_size=8))
    assert default_attention_layers(classifier) == [
        'backbone.layers.0.attn', 'backbone.layers.1.attn']
    with AttentionCapture(classifier,
                          ['backbone.layers.1.attn']) as capture:
        classifier.extract_feat(torch.randn(1, 3, 32, 32))
    assert capture.records['backbone.layers.1.attn'].attn.shape == (1, 4, 17,
                                                                     17)
    # window 7: 14x14 map, then 7x7 = one window, where mmpretrain turns
    # the shift off (pad_small_map False): no padding, no mask in blocks
    # 0 of stage 0 and 1 of stage 1
    swin = SimMIMSwinTransformer(arch=TINY_SWIN, img_size=56,
                                 out_indices=(1, ))
    names = default_attention_layers(swin)
    with AttentionCapture(swin, names) as capture:
        swin(torch.randn(1, 3, 56, 56), torch.zeros(1, 14, 14))
    assert list(capture.records) == names
    valid = [capture.records[n].valid for n in names]
    assert valid[0] is None and valid[3] is None
    assert valid[1] is not None
    assert [capture.records[n].shift_size for n in names] == [0, 3, 0, 0]


def test_strides_must_divide_or_be_given():
    model = randomised(VisionTransformer(arch=TINY_VIT, img_size=36,
                                         patch_size=8))
    name = 'layers.0.attn'
    with AttentionCapture(model, [name]) as capture:
        with pytest.raises(ValueError, match='does not divide'):
            model(images((36, 36), batch=1))
    with AttentionCapture(model, [name], strides={name: 8}) as capture:
        model(images((36, 36), batch=1))
    assert capture.records[name].coords[0, -1].tolist() == [36., 36.]


def test_records_need_clear_between_forwards_and_hooks_go_on_exit():
    model = randomised(VisionTransformer(arch=TINY_VIT, img_size=32,
                                         patch_size=8))
    with AttentionCapture(model, ['layers.0.attn']) as capture:
        model(images((32, 32), batch=1))
        with pytest.raises(RuntimeError, match='clear'):
            model(images((32, 32), batch=1))
        capture.clear()
        model(images((32, 32), batch=1))
    capture.clear()
    model(images((32, 32), batch=1))
    assert capture.records == {}


class OwnAttention(MultiheadAttention):

    def forward(self, x):
        return super().forward(x) * 2


def test_no_or_unsupported_attention_raises():
    with pytest.raises(ValueError, match='no supported attention module'):
        default_attention_layers(nn.Sequential(nn.Conv2d(3, 4, 3)))
    holder = nn.Module()
    holder.backbone = nn.Sequential(OwnAttention(8, 2))
    with pytest.raises(ValueError) as error:
        default_attention_layers(holder)
    # the overriding subclass is named, once (not its qkv/proj children)
    assert str(error.value).endswith(
        'unsupported attention-like modules: backbone.0 '
        f'({__name__}.OwnAttention)')
    model = VisionTransformer(arch=TINY_VIT, img_size=32, patch_size=8)
    with pytest.raises(KeyError, match='layers.0.attn'):
        AttentionCapture(model, ['layers.0.atn'])
    with pytest.raises(ValueError, match='not a supported attention'):
        AttentionCapture(model, ['layers.0.ln1'])


def test_mmseg_and_mmdet_models_around_mmpretrain_backbones(
        tiny_configs, tiny_checkpoints):
    for kind, tokens in (('seg', 17), ('det', 16)):
        model = load_model(tiny_configs[kind], tiny_checkpoints[kind], 'cpu')
        names = default_attention_layers(model)
        assert names and all(n.startswith('backbone.') for n in names)
        with AttentionCapture(model, names) as capture:
            run_backbone(model, torch.randn(1, 3, 32, 32))
        record = capture.records[names[0]]
        assert record.attn.shape[-1] == tokens
        stats = attention_statistics(record)
        entropy = stats['entropy']
        assert (entropy > 0).all() and (entropy <= math.log(16)).all()
        if kind == 'det':  # one head in stage 0: no pairwise KL
            assert stats['kl'].isnan().all() and len(stats['kl']) == 1
            assert attention_statistics(record, 'to_mean')['kl'] == 0


def test_other_libraries_window_attention_is_named_unsupported():
    from mmdet.models.backbones import SwinTransformer as MMDetSwin
    model = MMDetSwin(embed_dims=16, depths=[1, 1], num_heads=[1, 2],
                      window_size=4, out_indices=(0, 1))
    with pytest.raises(ValueError, match=r'stages\.0\.blocks\.0\.attn '
                       r'\(mmdet\.models\.backbones\.swin\.ShiftWindowMSA\)'):
        default_attention_layers(model)

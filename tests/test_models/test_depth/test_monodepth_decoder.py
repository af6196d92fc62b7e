"""MonodepthDecoder: full-resolution disparity in [0.01, 10.01] by SC-Depth's
formula, the skip wiring of Monodepth2 (SC-Depth's channel arithmetic for a
ResNet, no stride-2 skip for a stride-4 encoder), a functional re-computation
of a small decoder, and clear errors."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

import sgmim.models.depth  # noqa: F401  (registers the depth models)
from sgmim.models.depth import MonodepthDecoder, disparity_to_depth

SWIN_CHANNELS = [8, 16, 32, 64]


def maps(channels, strides, size=64, batch=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, c, size // s, size // s, generator=g)
            for c, s in zip(channels, strides)]


def test_full_resolution_disparity_in_range():
    decoder = MODELS.build(
        dict(type='MonodepthDecoder', in_channels=SWIN_CHANNELS))
    disp = decoder(maps(SWIN_CHANNELS, (4, 8, 16, 32)))
    assert disp.shape == (2, 1, 64, 64)
    assert disp.min() >= 0.01 and disp.max() <= 10.01
    depth = disparity_to_depth(disp)
    assert torch.equal(depth, 1 / disp)


@pytest.mark.parametrize('bias', [-200., -1.5, 0., 2., 200.])
def test_disparity_is_scaled_sigmoid(bias):
    """Zero last convolution with bias b: disp = 10·sigmoid(b) + 0.01
    everywhere; saturated logits give the range ends, never NaN."""
    decoder = MonodepthDecoder(SWIN_CHANNELS)
    conv = decoder.disp_conv[1]
    with torch.no_grad():
        conv.weight.zero_()
        conv.bias.fill_(bias)
    disp = decoder(maps(SWIN_CHANNELS, (4, 8, 16, 32), batch=1))
    expected = 10 / (1 + torch.exp(torch.tensor(-bias))) + 0.01
    torch.testing.assert_close(disp, expected.expand_as(disp))
    assert torch.isfinite(disparity_to_depth(disp)).all()


def test_huge_features_stay_finite():
    decoder = MonodepthDecoder(SWIN_CHANNELS)
    feats = [1e6 * f for f in maps(SWIN_CHANNELS, (4, 8, 16, 32), batch=1)]
    disp = decoder(feats)
    assert torch.isfinite(disp).all()
    assert disp.min() >= 0.01 and disp.max() <= 10.01


def test_stride4_encoder_has_no_stride2_skip():
    decoder = MonodepthDecoder(SWIN_CHANNELS)
    # stages at output strides 1, 2, 4, 8, 16: skips from the stride-4, 8,
    # 16 maps; the stride-32 map is the decoder's input.
    assert decoder.skip_index == [None, None, 0, 1, 2]
    in_widths = [block[1].in_channels for block in decoder.upconvs1]
    # built deep to shallow: stride 16, 8, 4, 2, 1
    assert in_widths == [256 + 32, 128 + 16, 64 + 8, 32, 16]
    assert [b[1].in_channels for b in decoder.upconvs0] == [
        64, 256, 128, 64, 32]


def test_resnet_wiring_matches_sc_depth():
    """With ResNet maps at strides 2…32, upconv_1 of stage i takes
    num_ch_dec[i] + num_ch_enc[i − 1] channels for i > 0 (SC-Depth)."""
    enc = [64, 64, 128, 256, 512]
    dec = [16, 32, 64, 128, 256]
    decoder = MonodepthDecoder(enc, in_strides=(2, 4, 8, 16, 32))
    assert decoder.skip_index == [None, 0, 1, 2, 3]
    expected = [dec[i] + (enc[i - 1] if i > 0 else 0)
                for i in range(4, -1, -1)]
    assert [b[1].in_channels for b in decoder.upconvs1] == expected
    expected0 = [enc[-1] if i == 4 else dec[i + 1] for i in range(4, -1, -1)]
    assert [b[1].in_channels for b in decoder.upconvs0] == expected0


@pytest.mark.parametrize('changed', [0, 1, 2, 3])
def test_every_map_reaches_the_output(changed):
    decoder = MonodepthDecoder(SWIN_CHANNELS).eval()
    feats = maps(SWIN_CHANNELS, (4, 8, 16, 32), batch=1)
    before = decoder(feats)
    feats[changed] = feats[changed] + torch.randn_like(feats[changed])
    assert not torch.allclose(decoder(feats), before)


def elu_conv(x, block):
    conv = block[1]
    return F.elu(F.conv2d(F.pad(x, (1, 1, 1, 1), mode='reflect'),
                          conv.weight, conv.bias))


def test_matches_functional_computation():
    """A two-map decoder (strides 1, 2) recomputed with functional ops:
    conv → ELU → bilinear ×2 → cat(up, skip) → conv → ELU → disp."""
    decoder = MonodepthDecoder([3, 5], in_strides=(1, 2), channels=(4, ))
    f1, f2 = maps([3, 5], (1, 2), size=8, batch=2)
    x = elu_conv(f2, decoder.upconvs0[0])
    x = F.interpolate(x, scale_factor=2, mode='bilinear',
                      align_corners=False)
    x = elu_conv(torch.cat([x, f1], 1), decoder.upconvs1[0])
    conv = decoder.disp_conv[1]
    logits = F.conv2d(F.pad(x, (1, 1, 1, 1), mode='reflect'), conv.weight,
                      conv.bias)
    torch.testing.assert_close(decoder([f1, f2]),
                               10 * torch.sigmoid(logits) + 0.01)


@pytest.mark.parametrize('kwargs, match', [
    (dict(in_channels=[8, 16], in_strides=(4, 8, 16)), 'one entry per'),
    (dict(in_channels=[8, 16], in_strides=(4, 12)), 'powers of two'),
    (dict(in_channels=[8, 16], in_strides=(8, 4)), 'powers of two'),
    (dict(in_channels=[8], in_strides=(16, ), channels=(4, 4)),
     'needs 4 decoder stages'),
    (dict(in_channels=[8], in_strides=(2, ), channels=(4, ),
          disp_offset=0.), 'must be > 0'),
])
def test_bad_configuration(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MonodepthDecoder(**kwargs)


def test_bad_maps_name_the_map():
    decoder = MonodepthDecoder(SWIN_CHANNELS)
    feats = maps(SWIN_CHANNELS, (4, 8, 16, 32), batch=1)
    with pytest.raises(ValueError, match='expects 4 encoder maps'):
        decoder(feats[1:])
    feats[1] = feats[1][:, :, :-1]
    with pytest.raises(ValueError, match=r'encoder map 1 should be'):
        decoder(feats)

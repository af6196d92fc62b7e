import pytest
import torch

from mmpretrain.registry import MODELS


def test_one_channel_pixels_from_conv_channels():
    """y[c, r*i + a, r*j + b] = conv(x)[c*r*r + a*r + b, i, j]."""
    decoder = MODELS.build(dict(type='LinearPixelShuffleDecoder',
                                in_channels=8, encoder_stride=4))
    x = torch.randn(2, 8, 3, 5)
    y = decoder(x)
    assert y.shape == (2, 1, 12, 20)
    conv = decoder.decoder[0]
    z = torch.einsum('oc,bchw->bohw', conv.weight[:, :, 0, 0], x) + \
        conv.bias[:, None, None]
    for a in range(4):
        for b in range(4):
            assert torch.allclose(y[:, 0, a::4, b::4], z[:, a * 4 + b],
                                  atol=1e-6)


def test_three_channels_equal_simmim_linear_decoder():
    ours = MODELS.build(dict(type='LinearPixelShuffleDecoder', in_channels=8,
                             encoder_stride=16, out_channels=3))
    simmim = MODELS.build(dict(type='SimMIMLinearDecoder', in_channels=8,
                               encoder_stride=16))
    simmim.load_state_dict(ours.state_dict())
    x = torch.randn(2, 8, 2, 3)
    assert torch.equal(ours(x), simmim(x))


@pytest.mark.parametrize('out_channels', [1, 3])
def test_forward_tokens_gives_each_tokens_patch(out_channels):
    decoder = MODELS.build(dict(type='LinearPixelShuffleDecoder',
                                in_channels=8, encoder_stride=4,
                                out_channels=out_channels))
    x = torch.randn(2, 8, 3, 5)
    full = decoder(x)
    tokens = decoder.forward_tokens(x.flatten(2).transpose(1, 2))
    assert tokens.shape == (2, 15, out_channels, 4, 4)
    for i in range(3):
        for j in range(5):
            assert torch.allclose(tokens[:, i * 5 + j],
                                  full[..., 4 * i:4 * i + 4, 4 * j:4 * j + 4],
                                  atol=1e-6)
    with pytest.raises(ValueError, match=r'\(B, K, 8\).*\(2, 15, 6\)'):
        decoder.forward_tokens(torch.randn(2, 15, 6))


def test_rejects_wrong_width():
    decoder = MODELS.build(dict(type='LinearPixelShuffleDecoder',
                                in_channels=8, encoder_stride=4))
    with pytest.raises(ValueError, match=r'\(B, 8, h, w\).*\(2, 6, 3, 3\)'):
        decoder(torch.randn(2, 6, 3, 3))

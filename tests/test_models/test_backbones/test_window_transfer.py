"""Window-transfer helpers: reading P back from a SwinV2 coordinate table,
and the mask-token equation."""
import pytest
import torch
from mmpretrain.models.utils import WindowMSAV2

from sgmim.models.backbones import (cpb_normalisation_mismatches,
                                    cpb_normalisation_window,
                                    replace_masked_tokens)


def coords_table(window, pretrained_window=(0, 0)):
    return WindowMSAV2(embed_dims=8, window_size=window, num_heads=2,
                       pretrained_window_size=pretrained_window
                       ).relative_coords_table


@pytest.mark.parametrize('window,pretrained,expected', [
    ((7, 7), (0, 0), (7, 7)),
    ((24, 24), (12, 12), (12, 12)),
    ((6, 6), (12, 12), (12, 12)),
    ((3, 5), (0, 0), (3, 5)),
    ((1, 4), (0, 0), (None, 4)),
])
def test_cpb_normalisation_window(window, pretrained, expected):
    got = cpb_normalisation_window(coords_table(window, pretrained))
    for value, ref in zip(got, expected, strict=True):
        if ref is None:
            assert value is None
        else:
            assert value == pytest.approx(ref, rel=1e-4)


def test_cpb_normalisation_window_rejects_other_shapes():
    with pytest.raises(ValueError, match=r'\(1, 13, 13\)'):
        cpb_normalisation_window(torch.zeros(1, 13, 13))


def test_cpb_mismatches_name_layer_and_windows():
    module = torch.nn.Module()
    module.attn = WindowMSAV2(embed_dims=8, window_size=(8, 8), num_heads=2)
    state = {'backbone.attn.relative_coords_table': coords_table((4, 4))}
    (mismatch, ) = cpb_normalisation_mismatches(module, state, 'backbone.')
    assert mismatch.key == 'backbone.attn.relative_coords_table'
    assert mismatch.checkpoint_window == (4, 4)
    assert mismatch.module_window == (8, 8)
    assert mismatch.checkpoint_norm == pytest.approx((4, 4))
    assert mismatch.module_norm == pytest.approx((8, 8))
    module.attn = WindowMSAV2(embed_dims=8, window_size=(8, 8), num_heads=2,
                              pretrained_window_size=(4, 4))
    assert cpb_normalisation_mismatches(module, state, 'backbone.') == []


def test_replace_masked_tokens_equation():
    tokens = torch.arange(12.).view(1, 6, 2)  # grid (2, 3)
    token = torch.tensor([[[-1., -2.]]])
    mask = torch.tensor([[[1, 0, 0], [0, 0, 1]]])
    out = replace_masked_tokens(tokens, mask, token, (2, 3))
    expected = tokens.clone()
    expected[0, 0] = token[0, 0]
    expected[0, 5] = token[0, 0]
    assert torch.equal(out, expected)
    soft = replace_masked_tokens(tokens, mask * 0.5, token, (2, 3))
    assert torch.equal(soft[0, 0], 0.5 * tokens[0, 0] + 0.5 * token[0, 0])
    with pytest.raises(ValueError, match=r'\(1, 3, 2\).*\(1, 2, 3\)'):
        replace_masked_tokens(tokens, mask.view(1, 3, 2), token, (2, 3))

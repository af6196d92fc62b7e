"""``TransferVisionTransformer`` without a class token (ViTDet-style) loads a
class-token checkpoint of another resolution: the class position is dropped
and the patch grid resized bicubically; mmpretrain's ``VisionTransformer``
fails on the same checkpoint."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.models import VisionTransformer

import sgmim  # noqa: F401
from sgmim.models.backbones import TransferVisionTransformer
from sgmim.models.backbones.transfer_vit import has_class_position

ARCH = dict(embed_dims=16, num_layers=1, num_heads=2, feedforward_channels=32)


def test_class_position_dropped_at_another_resolution():
    torch.manual_seed(0)
    source = VisionTransformer(arch=ARCH, img_size=32, patch_size=8)
    with torch.no_grad():
        source.pos_embed.normal_()
    state = source.state_dict()
    target = TransferVisionTransformer(
        arch=ARCH, img_size=64, patch_size=8, with_cls_token=False,
        out_type='featmap')
    missing, unexpected = target.load_state_dict(state, strict=False)
    assert (missing, unexpected) == ([], ['cls_token'])

    grid = state['pos_embed'][:, 1:].reshape(1, 4, 4, 16).permute(0, 3, 1, 2)
    expected = F.interpolate(grid, size=(8, 8), mode='bicubic',
                             align_corners=False).flatten(2).transpose(1, 2)
    torch.testing.assert_close(target.pos_embed.data, expected)

    parent = VisionTransformer(arch=ARCH, img_size=64, patch_size=8,
                               with_cls_token=False, out_type='featmap')
    with pytest.raises(AssertionError, match='pos_embed'):
        parent.load_state_dict(state, strict=False)


@pytest.mark.parametrize('length,expected', [(197, True), (196, False),
                                             (4097, True), (4096, False),
                                             (2, True), (1, False)])
def test_has_class_position(length, expected):
    assert has_class_position(length) is expected

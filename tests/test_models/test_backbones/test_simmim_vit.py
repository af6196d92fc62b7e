"""SimMIMVisionTransformer: shapes, mask token before the position
embedding, parity with mmpretrain's VisionTransformer when nothing is
masked."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.models import VisionTransformer

import sgmim  # noqa: F401  (registers the backbones)
from sgmim.models.backbones import SimMIMVisionTransformer

ARCH = dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)
KWARGS = dict(arch=ARCH, img_size=64)


def build(seed=0, **overrides):
    torch.manual_seed(seed)
    model = SimMIMVisionTransformer(**{**KWARGS, **overrides})
    model.init_weights()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # no weight keeps its init value (e.g. cls = 0)
        for p in model.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=gen))
    model.eval()
    return model


def random_mask(batch, h, w, seed=0, ratio=0.5):
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(batch, h, w, generator=gen) < ratio).long()


@pytest.mark.parametrize('hw', [(64, 64), (64, 96)])
def test_output_is_one_patch_feature_map(hw):
    model = build()
    x = torch.randn(2, 3, *hw)
    with torch.no_grad():
        masked = model(x, random_mask(2, hw[0] // 16, hw[1] // 16))
        plain = model(x)
    for outs in (masked, plain):
        assert isinstance(outs, tuple) and len(outs) == 1
        assert outs[0].shape == (2, 32, hw[0] // 16, hw[1] // 16)


def test_init_weights():
    model = SimMIMVisionTransformer(**KWARGS)
    torch.manual_seed(0)
    model.init_weights()
    assert 0.01 < model.mask_token.std().item() < 0.04
    assert 0.01 < model.pos_embed.std().item() < 0.03  # as VisionTransformer
    model = SimMIMVisionTransformer(
        **KWARGS, init_cfg=dict(type='Pretrained', checkpoint=None))
    model.init_weights()
    assert torch.count_nonzero(model.mask_token) == 0


def test_unmasked_forward_equals_parent_featmap():
    model = build()
    parent = VisionTransformer(**KWARGS, out_type='featmap')
    parent.eval()
    keys = parent.load_state_dict(model.state_dict(), strict=False)
    assert keys.unexpected_keys == ['mask_token'] and not keys.missing_keys
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        expected = parent(x)
        for outs in (model(x), model(x, mask=None),
                     model(x, torch.zeros(2, 4, 6))):
            for out, ref in zip(outs, expected, strict=True):
                torch.testing.assert_close(out, ref, rtol=0, atol=0)


def test_mask_token_replaces_patches_before_position_embedding():
    model = build()
    x = torch.randn(2, 3, 64, 96)
    mask = random_mask(2, 4, 6)
    seen = []
    model.layers[0].register_forward_pre_hook(
        lambda module, args: seen.append(args[0]))
    with torch.no_grad():
        model(x, mask)
        # hand computation: x' = x(1-w) + t w, then [cls; x'] + pos
        embedded = F.conv2d(x, model.patch_embed.projection.weight,
                            model.patch_embed.projection.bias, stride=16)
        embedded = embedded.flatten(2).transpose(1, 2)  # (B, 24, C)
        replaced = torch.where(mask.flatten(1).bool()[..., None],
                               model.mask_token.expand_as(embedded), embedded)
        tokens = torch.cat([model.cls_token.expand(2, -1, -1), replaced], 1)
        grid = model.pos_embed[:, 1:].reshape(1, 4, 4, 32).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(4, 6), mode='bicubic',
                             align_corners=False)
        pos = torch.cat([model.pos_embed[:, :1],
                         grid.flatten(2).transpose(1, 2)], 1)
    torch.testing.assert_close(seen[0], tokens + pos)
    assert 0 < mask.sum() < mask.numel()


def test_masking_changes_output_through_mask_token():
    model = build()
    x = torch.randn(2, 3, 64, 64)
    mask = random_mask(2, 4, 4)
    with torch.no_grad():
        plain = model(x)[0]
        masked = model(x, mask)[0]
        # not a constant shift: LayerNorm would remove it
        model.mask_token.add_(torch.randn(model.mask_token.shape))
        masked_other_token = model(x, mask)[0]
        unmasked_other_token = model(x, torch.zeros_like(mask))[0]
    assert not torch.allclose(masked, plain, atol=1e-3)
    assert not torch.allclose(masked, masked_other_token, atol=1e-3)
    torch.testing.assert_close(unmasked_other_token, plain, rtol=0, atol=0)


@pytest.mark.parametrize('shape', [(2, 16, 16), (2, 4, 5), (2, 16)])
def test_mask_shape_mismatch_names_both_shapes(shape):
    model = build()
    with pytest.raises(ValueError) as err:
        model(torch.randn(2, 3, 64, 64), torch.zeros(shape))
    assert str(tuple(shape)) in str(err.value)
    assert '(2, 4, 4)' in str(err.value)

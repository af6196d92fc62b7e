"""SimMIMSwinTransformerV2: shapes, mask-token substitution, parity with
mmpretrain's SwinTransformerV2 when nothing is masked."""
import pytest
import torch
from mmpretrain.models import SwinTransformerV2

import sgmim  # noqa: F401  (registers the backbones)
from sgmim.models.backbones import SimMIMSwinTransformerV2

ARCH = dict(embed_dims=32, depths=[1, 1, 2, 1], num_heads=[1, 2, 4, 8],
            extra_norm_every_n_blocks=0)
KWARGS = dict(arch=ARCH, img_size=64, window_size=[4, 4, 4, 2],
              drop_path_rate=0., out_indices=(0, 1, 2, 3))


def perturb_(module, seed=0):
    """Add noise to every parameter so that no weight keeps its init value."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=gen))
    return module


def build(seed=0, **overrides):
    torch.manual_seed(seed)
    model = SimMIMSwinTransformerV2(**{**KWARGS, **overrides})
    model.init_weights()
    perturb_(model, seed)
    model.eval()  # mmpretrain's train() returns None: no chaining
    return model


def random_mask(batch, h, w, seed=0, ratio=0.5):
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(batch, h, w, generator=gen) < ratio).long()


@pytest.mark.parametrize('hw', [(64, 64), (64, 96)])
def test_output_shapes(hw):
    model = build()
    x = torch.randn(2, 3, *hw)
    grid = (hw[0] // 4, hw[1] // 4)
    with torch.no_grad():
        masked = model(x, random_mask(2, *grid))
        plain = model(x)
    for outs in (masked, plain):
        assert isinstance(outs, tuple) and len(outs) == 4
        for i, out in enumerate(outs):
            stride = 4 * 2**i
            assert out.shape == (2, 32 * 2**i, hw[0] // stride,
                                 hw[1] // stride)


def test_init_weights_mask_token():
    model = SimMIMSwinTransformerV2(**KWARGS)
    assert torch.count_nonzero(model.mask_token) == 0
    torch.manual_seed(0)
    model.init_weights()
    assert model.mask_token.shape == (1, 1, 32)
    assert 0.01 < model.mask_token.std().item() < 0.04
    # no re-initialisation when a checkpoint is to be loaded
    model = SimMIMSwinTransformerV2(
        **KWARGS, init_cfg=dict(type='Pretrained', checkpoint=None))
    model.init_weights()
    assert torch.count_nonzero(model.mask_token) == 0


def test_unmasked_forward_equals_parent():
    model = build()
    parent = SwinTransformerV2(**KWARGS)
    parent.eval()
    keys = parent.load_state_dict(model.state_dict(), strict=False)
    assert keys.unexpected_keys == ['mask_token']
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        expected = parent(x)
        for outs in (model(x), model(x, mask=None),
                     model(x, torch.zeros(2, 16, 24))):
            for out, ref in zip(outs, expected, strict=True):
                torch.testing.assert_close(out, ref, rtol=0, atol=0)


def test_mask_token_replaces_masked_patches_only():
    model = build()
    x = torch.randn(2, 3, 64, 96)
    mask = random_mask(2, 16, 24)
    seen = []
    model.stages[0].register_forward_pre_hook(
        lambda module, args: seen.append(args[0]))
    with torch.no_grad():
        model(x, mask)
        embedded, _ = model.patch_embed(x)  # (B, h*w, C), row-major
    expected = torch.where(mask.flatten(1).bool()[..., None],
                           model.mask_token.expand_as(embedded), embedded)
    torch.testing.assert_close(seen[0], expected, rtol=0, atol=0)
    assert 0 < mask.sum() < mask.numel()


def test_masking_changes_output_through_mask_token():
    model = build()
    x = torch.randn(2, 3, 64, 64)
    mask = random_mask(2, 16, 16)
    with torch.no_grad():
        plain = model(x)[-1]
        masked = model(x, mask)[-1]
        unmasked = model(x, torch.zeros_like(mask))[-1]
        # not a constant shift: LayerNorm would remove it
        model.mask_token.add_(torch.randn(model.mask_token.shape))
        masked_other_token = model(x, mask)[-1]
        unmasked_other_token = model(x, torch.zeros_like(mask))[-1]
    assert not torch.allclose(masked, plain, atol=1e-3)
    assert not torch.allclose(masked, masked_other_token, atol=1e-3)
    # without masked patches the mask token plays no part
    torch.testing.assert_close(unmasked, plain, rtol=0, atol=0)
    torch.testing.assert_close(unmasked_other_token, plain, rtol=0, atol=0)


def test_bool_mask_equals_int_mask():
    model = build()
    x = torch.randn(1, 3, 64, 64)
    mask = random_mask(1, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(model(x, mask.bool())[-1],
                                   model(x, mask)[-1])


@pytest.mark.parametrize('shape', [(2, 8, 8), (2, 16), (1, 16, 16)])
def test_mask_shape_mismatch_names_both_shapes(shape):
    model = build()
    with pytest.raises(ValueError) as err:
        model(torch.randn(2, 3, 64, 64), torch.zeros(shape))
    assert str(tuple(shape)) in str(err.value)
    assert '(2, 16, 16)' in str(err.value)


def test_swin_base_recipe_arguments():
    model = SimMIMSwinTransformerV2(arch='base', img_size=192,
                                    window_size=[12, 12, 12, 6])
    assert [s.blocks[0].attn.w_msa.window_size for s in model.stages] == [
        (12, 12), (12, 12), (12, 12), (6, 6)]
    assert model.mask_token.shape == (1, 1, 128)
    single = SimMIMSwinTransformerV2(arch=ARCH, img_size=64, window_size=4)
    assert single.window_sizes == [4, 4, 4, 4]
    pretrained = SimMIMSwinTransformerV2(
        arch=ARCH, img_size=128, window_size=[8, 8, 8, 4],
        pretrained_window_sizes=[4, 4, 4, 2])
    plain = SimMIMSwinTransformerV2(arch=ARCH, img_size=128,
                                    window_size=[8, 8, 8, 4])
    table = pretrained.stages[0].blocks[0].attn.w_msa.relative_coords_table
    assert not torch.allclose(
        table, plain.stages[0].blocks[0].attn.w_msa.relative_coords_table)

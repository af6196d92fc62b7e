import pytest
import torch

from mmpretrain.registry import MODELS
from sgmim.models.necks import token_visibility


def mlp_cfg(out_channels=256, stride=32, **kwargs):
    return dict(type='MLPStructureExtractor', out_channels=out_channels,
                stride=stride, embed_dims=16, **kwargs)


def transformer_cfg(input_size, out_channels=256, stride=32):
    return dict(type='TransformerStructureExtractor',
                out_channels=out_channels, stride=stride,
                input_size=input_size, embed_dims=16, depth=1, num_heads=2)


def test_token_visibility_matches_brute_force():
    mask = (torch.rand(3, 12, 8, generator=torch.Generator().manual_seed(0))
            > 0.8).float()
    visible = token_visibility(mask, (3, 2))
    expected = torch.zeros(3, 3, 2, dtype=torch.bool)
    for b in range(3):
        for i in range(3):
            for j in range(2):
                expected[b, i, j] = not mask[b, 4 * i:4 * i + 4,
                                             4 * j:4 * j + 4].any()
    assert torch.equal(visible, expected.flatten(1))


def test_token_visibility_rejects_incompatible_grid():
    with pytest.raises(ValueError, match=r'\(12, 8\).*\(5, 2\)'):
        token_visibility(torch.zeros(1, 12, 8), (5, 2))


@pytest.mark.parametrize('img_size', [64, 96, 192])
def test_grid_matches_swin_last_stage(img_size, tiny_swin, make_masks):
    """(f) S_F lies on the stride-32 grid of the Swin last stage."""
    backbone = tiny_swin(img_size)
    mask, structure_mask = make_masks(2, img_size, model_patch=4)
    img = torch.randn(2, 3, img_size, img_size)
    smap = torch.randn(2, 1, img_size, img_size)
    feat = backbone(img, mask)[-1]
    B, C, h, w = feat.shape
    extractors = [
        MODELS.build(mlp_cfg(C)),
        MODELS.build(transformer_cfg(img_size, C)),
        MODELS.build(dict(type='SiameseStructureExtractor'))
    ]
    for extractor in extractors:
        tokens, visible = extractor(smap, structure_mask, backbone)
        assert tokens.shape == (B, h * w, C)
        assert torch.equal(visible, token_visibility(structure_mask, (h, w)))


@pytest.mark.parametrize('img_size', [64, 96])
def test_grid_matches_stride16_encoder(img_size, tiny_vit, make_masks):
    """(f) the same at stride 16 (ViT-like stand-in, patch 16)."""
    backbone = tiny_vit()
    mask, structure_mask = make_masks(2, img_size, model_patch=16)
    feat = backbone(torch.randn(2, 3, img_size, img_size), mask)[-1]
    B, C, h, w = feat.shape
    assert (h, w) == (img_size // 16, ) * 2
    smap = torch.randn(2, 1, img_size, img_size)
    for cfg in [mlp_cfg(C, 16), transformer_cfg(img_size, C, 16),
                dict(type='SiameseStructureExtractor')]:
        tokens, visible = MODELS.build(cfg)(smap, structure_mask, backbone)
        assert tokens.shape == (B, h * w, C)
        assert visible.shape == (B, h * w)


def test_mlp_extractor_is_per_token_and_ignores_masked_patches(make_masks):
    torch.manual_seed(0)
    extractor = MODELS.build(mlp_cfg(8, num_layers=3))
    assert sum(isinstance(m, torch.nn.Linear)
               for m in extractor.mlp) == 4
    _, structure_mask = make_masks(2, 96, model_patch=4)
    smap = torch.randn(2, 1, 96, 96)
    tokens, visible = extractor(smap, structure_mask)
    # independent computation: conv patch embed, zero masked, shared MLP
    emb = extractor.patch_embed.proj(smap).flatten(2).transpose(1, 2)
    emb = torch.where(visible[..., None], emb, torch.zeros_like(emb))
    assert torch.allclose(tokens, extractor.mlp(emb), atol=1e-6)
    # masked tokens: the same constant whatever the map
    masked = tokens[~visible]
    assert torch.allclose(masked, masked[:1].expand_as(masked), atol=1e-6)
    # changing the map in one visible token's pixels changes only that token
    b, t = visible.nonzero()[0].tolist()
    i, j = divmod(t, 3)
    perturbed = smap.clone()
    perturbed[b, :, 32 * i:32 * i + 32, 32 * j:32 * j + 32] += 1
    changed = (extractor(perturbed, structure_mask)[0] - tokens).abs().sum(-1)
    assert changed[b, t] > 0
    changed[b, t] = 0
    assert torch.all(changed == 0)


def test_transformer_extractor_ignores_masked_patches(make_masks):
    torch.manual_seed(0)
    extractor = MODELS.build(transformer_cfg(96, 8))
    _, structure_mask = make_masks(2, 96, model_patch=4, complementary=False)
    smap = torch.randn(2, 1, 96, 96)
    tokens, visible = extractor(smap, structure_mask)
    pix_masked = structure_mask.repeat_interleave(4, 1).repeat_interleave(
        4, 2)[:, None].bool()
    noise = torch.randn_like(smap) * 10
    inside = extractor(torch.where(pix_masked, smap + noise, smap),
                       structure_mask)[0]
    outside = extractor(torch.where(pix_masked, smap, smap + noise),
                        structure_mask)[0]
    assert torch.allclose(inside[visible], tokens[visible], atol=1e-5)
    assert not torch.allclose(outside[visible], tokens[visible], atol=1e-3)


def test_transformer_extractor_all_masked_sample_is_finite():
    extractor = MODELS.build(transformer_cfg(64, 8))
    tokens, visible = extractor(torch.randn(1, 1, 64, 64),
                                torch.ones(1, 16, 16))
    assert not visible.any()
    assert torch.isfinite(tokens).all()


def test_transformer_extractor_rejects_other_input_size():
    extractor = MODELS.build(transformer_cfg(64, 8))
    with pytest.raises(ValueError, match=r'\(3, 3\).*\(2, 2\)'):
        extractor(torch.randn(1, 1, 96, 96), torch.zeros(1, 24, 24))


def test_extractors_validate_map_shape():
    extractor = MODELS.build(mlp_cfg(8))
    with pytest.raises(ValueError, match=r'\(2, 3, 64, 64\)'):
        extractor(torch.randn(2, 3, 64, 64), torch.zeros(2, 16, 16))
    with pytest.raises(ValueError, match=r'\(80, 64\).*32'):
        extractor(torch.randn(2, 1, 80, 64), torch.zeros(2, 20, 16))


def test_siamese_extractor_runs_the_given_encoder(tiny_swin, make_masks):
    backbone = tiny_swin(64)
    extractor = MODELS.build(dict(type='SiameseStructureExtractor'))
    assert not list(extractor.parameters())
    _, structure_mask = make_masks(2, 64, model_patch=4)
    smap = torch.randn(2, 1, 64, 64)
    tokens, _ = extractor(smap, structure_mask, backbone)
    expected = backbone(smap.repeat(1, 3, 1, 1), structure_mask)[-1]
    assert torch.allclose(tokens, expected.flatten(2).transpose(1, 2))
    with pytest.raises(ValueError, match='encoder'):
        extractor(smap, structure_mask)


@pytest.mark.parametrize('kind', ['mlp', 'transformer', 'siamese'])
def test_tokens_at_equals_gathered_forward(kind, tiny_swin, make_masks):
    """``tokens_at`` gives ``forward``'s S_F at the requested tokens, masked
    ones included (the MLP computes just those tokens)."""
    torch.manual_seed(0)
    cfg = dict(mlp=mlp_cfg(), transformer=transformer_cfg(96),
               siamese=dict(type='SiameseStructureExtractor'))[kind]
    extractor = MODELS.build(cfg)
    encoder = tiny_swin(96) if kind == 'siamese' else None
    _, structure_mask = make_masks(2, 96, model_patch=4)
    smap = torch.randn(2, 1, 96, 96)
    full, visible = extractor(smap, structure_mask, encoder)
    index = torch.tensor([[0, 4, 8, 2], [7, 1, 1, 3]])
    assert not visible.gather(1, index).all()  # masked tokens asked for too
    got = extractor.tokens_at(smap, structure_mask, index, encoder)
    expected = full.gather(1, index[..., None].expand(-1, -1, 256))
    assert torch.allclose(got, expected, atol=1e-5)

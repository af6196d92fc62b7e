import pytest
import torch
import torch.nn.functional as F

from mmpretrain.registry import MODELS
from sgmim.models.necks import token_visibility
from sgmim.models.utils import uniform_index


def build_neck(in_channels=16, input_size=96, stride=32, extractor=None):
    extractor = extractor or dict(
        type='MLPStructureExtractor', out_channels=in_channels,
        stride=stride, embed_dims=8)
    return MODELS.build(
        dict(type='RelationalGuidanceNeck', in_channels=in_channels,
             input_size=input_size, stride=stride, extractor=extractor,
             num_heads=4))


def reference_fusion(neck, img_feat, struct_feat, visible):
    """The block written out per sample and head, with keys restricted to
    the visible structure tokens (no attention if there are none)."""
    B, C, h, w = img_feat.shape
    heads = neck.attn.num_heads
    d = C // heads
    wk, wv = neck.attn.kv.weight.split(C)
    out = []
    for b in range(B):
        x = img_feat[b].flatten(1).T  # (N, C)
        q = (F.layer_norm(x, (C, ), neck.norm_query.weight,
                          neck.norm_query.bias) + neck.pos_embed[0])
        c = (F.layer_norm(struct_feat[b], (C, ), neck.norm_context.weight,
                          neck.norm_context.bias) + neck.pos_embed[0])
        c = c[visible[b]]
        q, k, v = q @ neck.attn.q.weight.T, c @ wk.T, c @ wv.T
        if len(c):
            per_head = []
            for m in range(heads):
                s = slice(m * d, (m + 1) * d)
                a = torch.softmax(q[:, s] @ k[:, s].T / d**0.5, dim=-1)
                per_head.append(a @ v[:, s])
            x = x + neck.attn.proj(torch.cat(per_head, 1))
        x = x + neck.mlp(neck.norm_mlp(x))
        out.append(x.T.reshape(C, h, w))
    return torch.stack(out)


@pytest.mark.parametrize('complementary', [True, False])
def test_fusion_matches_reference(complementary, make_masks):
    torch.manual_seed(0)
    neck = build_neck()
    _, structure_mask = make_masks(3, 96, model_patch=4,
                                   complementary=complementary)
    img_feat = torch.randn(3, 16, 3, 3)
    smap = torch.randn(3, 1, 96, 96)
    out = neck(img_feat, smap, structure_mask)
    struct_feat, visible = neck.extractor(smap, structure_mask)
    expected = reference_fusion(neck, img_feat, struct_feat, visible)
    assert out.shape == img_feat.shape
    assert torch.allclose(out, expected, atol=1e-5)


def test_masked_structure_tokens_do_not_influence_output(make_masks):
    """(d) perturbing the map inside masked patches changes nothing; inside
    visible patches it changes I_SF."""
    torch.manual_seed(0)
    neck = build_neck()
    _, structure_mask = make_masks(2, 96, model_patch=4)
    img_feat, smap = torch.randn(2, 16, 3, 3), torch.randn(2, 1, 96, 96)
    out = neck(img_feat, smap, structure_mask)
    pix_masked = structure_mask.repeat_interleave(4, 1).repeat_interleave(
        4, 2)[:, None].bool()
    noise = 10 * torch.randn_like(smap)
    inside = neck(img_feat, torch.where(pix_masked, smap + noise, smap),
                  structure_mask)
    outside = neck(img_feat, torch.where(pix_masked, smap, smap + noise),
                   structure_mask)
    assert torch.equal(inside, out)
    assert (outside - out).abs().amax(dim=(1, 2, 3)).min() > 1e-3


def test_residual_form():
    """(d) zeroed attention and MLP output projections: I_SF == I_F."""
    neck = build_neck()
    for layer in (neck.attn.proj, neck.mlp[-1]):
        torch.nn.init.zeros_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
    img_feat = torch.randn(2, 16, 3, 3)
    out = neck(img_feat, torch.randn(2, 1, 96, 96), torch.zeros(2, 24, 24))
    assert torch.equal(out, img_feat)


def test_all_masked_sample_gets_no_attention_term():
    neck = build_neck()
    structure_mask = torch.zeros(2, 24, 24)
    structure_mask[1] = 1
    img_feat = torch.randn(2, 16, 3, 3)
    out = neck(img_feat, torch.randn(2, 1, 96, 96), structure_mask)
    x = img_feat[1].flatten(1).T
    expected = (x + neck.mlp(neck.norm_mlp(x))).T.reshape(16, 3, 3)
    assert torch.isfinite(out).all()
    assert torch.allclose(out[1], expected, atol=1e-6)


def test_gradients_reach_extractor_and_fusion(make_masks):
    neck = build_neck()
    _, structure_mask = make_masks(2, 96, model_patch=4)
    neck(torch.randn(2, 16, 3, 3), torch.randn(2, 1, 96, 96),
         structure_mask).square().sum().backward()
    for name, param in neck.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_position_embedding_sized_from_config():
    neck = build_neck(in_channels=8, input_size=(224, 160), stride=16)
    assert neck.pos_embed.shape == (1, 14 * 10, 8)
    out = neck(torch.randn(1, 8, 14, 10), torch.randn(1, 1, 224, 160),
               torch.zeros(1, 14, 10))
    assert out.shape == (1, 8, 14, 10)


def test_shape_errors_name_both_shapes():
    neck = build_neck()
    with pytest.raises(ValueError, match=r'\(2, 16, 2, 2\).*\(2, 16, 3, 3\)'):
        neck(torch.randn(2, 16, 2, 2), torch.randn(2, 1, 64, 64),
             torch.zeros(2, 16, 16))
    wrong_width = build_neck(extractor=dict(
        type='MLPStructureExtractor', out_channels=8, stride=32))
    with pytest.raises(ValueError, match=r'\(2, 9, 8\).*\(2, 9, 16\)'):
        wrong_width(torch.randn(2, 16, 3, 3), torch.randn(2, 1, 96, 96),
                    torch.zeros(2, 24, 24))
    with pytest.raises(ValueError, match='not a multiple of the stride'):
        build_neck(input_size=100)


def test_siamese_neck_uses_encoder_features(tiny_swin, make_masks):
    backbone = tiny_swin(96)
    neck = build_neck(256, extractor=dict(type='SiameseStructureExtractor'))
    mask, structure_mask = make_masks(2, 96, model_patch=4)
    img_feat = backbone(torch.randn(2, 3, 96, 96), mask)[-1]
    smap = torch.randn(2, 1, 96, 96)
    out = neck(img_feat, smap, structure_mask, backbone)
    struct_feat = backbone(smap.expand(-1, 3, -1, -1), structure_mask)[-1]
    expected = reference_fusion(neck, img_feat,
                                struct_feat.flatten(2).transpose(1, 2),
                                token_visibility(structure_mask, (3, 3)))
    assert torch.allclose(out, expected, atol=1e-4)


def image_visible_tokens(mask, grid):
    """Tokens with at least one image-visible patch (mask: 1 = masked)."""
    return ~token_visibility(1 - mask, grid)


def spy_key_paths(monkeypatch, neck):
    """Record how each ``forward_tokens`` call got its keys: 'gathered'
    (``extractor.tokens_at``) or 'full' (``extractor.forward``)."""
    calls = []
    tokens_at, full = neck.extractor.tokens_at, neck.extractor.forward

    def spy_tokens_at(*args):
        calls.append('gathered')
        return tokens_at(*args)

    def spy_full(*args):
        calls.append('full')
        return full(*args)

    monkeypatch.setattr(neck.extractor, 'tokens_at', spy_tokens_at)
    monkeypatch.setattr(neck.extractor, 'forward', spy_full)
    return calls


def compare_token_fusion(neck, img_feat, smap, structure_mask, query_index):
    """``forward_tokens`` against ``forward`` at the query tokens: values and
    gradients of a loss reading those tokens. Run in float64, so that 1e-6
    measures the method, not float32 rounding of sums taken in another
    order."""
    neck.double()
    img_feat, smap = img_feat.double(), smap.double()
    B, C = img_feat.shape[:2]
    index = query_index[..., None].expand(-1, -1, C)
    results = []
    for sparse in (False, True):
        neck.zero_grad()
        feat = img_feat.clone().requires_grad_()
        if sparse:
            out = neck.forward_tokens(feat, smap, structure_mask, query_index,
                                      neck.visible_key_index(structure_mask))
        else:
            out = neck(feat, smap, structure_mask).flatten(2).transpose(
                1, 2).gather(1, index)
        out.square().sum().backward()
        grads = {n: p.grad.clone() for n, p in neck.named_parameters()}
        results.append((out.detach(), feat.grad, grads))
    (full, full_in, full_grads), (part, part_in, part_grads) = results
    assert part.shape == (B, query_index.shape[1], C)
    assert torch.allclose(part, full, rtol=1e-6, atol=1e-6)
    assert torch.allclose(part_in, full_in, rtol=1e-6, atol=1e-6)
    for name, grad in full_grads.items():
        assert torch.allclose(part_grads[name], grad, rtol=1e-6,
                              atol=1e-6), name


@pytest.mark.parametrize('extractor', ['mlp', 'transformer'])
@pytest.mark.parametrize('complementary', [True, False])
def test_forward_tokens_gathers_equal_key_counts(complementary, extractor,
                                                 make_masks, monkeypatch):
    """Exact mask counts per sample (32 px mask patches = tokens): the keys
    are the gathered visible tokens, and the query tokens match the full
    block, values and gradients."""
    torch.manual_seed(0)
    neck = build_neck(extractor=None if extractor == 'mlp' else dict(
        type='TransformerStructureExtractor', out_channels=16, stride=32,
        input_size=96, embed_dims=8, depth=1, num_heads=2))
    mask, structure_mask = make_masks(3, 96, model_patch=4,
                                      complementary=complementary)
    query_index = uniform_index(image_visible_tokens(mask, (3, 3)))
    assert query_index is not None
    calls = spy_key_paths(monkeypatch, neck)
    compare_token_fusion(neck, torch.randn(3, 16, 3, 3),
                         torch.randn(3, 1, 96, 96), structure_mask,
                         query_index)
    assert calls[:2] == ['full', 'gathered']  # forward, then forward_tokens
    visible = token_visibility(structure_mask, (3, 3))
    assert neck.visible_key_index(structure_mask).tolist() == [
        [t for t in range(9) if visible[b, t]] for b in range(3)]


@pytest.mark.parametrize('case', ['unequal', 'none'])
def test_forward_tokens_unequal_or_no_keys_use_all_keys(case, monkeypatch):
    """Visible-key counts that differ per sample, or no visible key at all:
    every structure token is computed and the masked ones are left out of
    attention, as in ``forward``."""
    torch.manual_seed(0)
    neck = build_neck()
    structure_mask = torch.zeros(2, 24, 24)
    if case == 'unequal':
        structure_mask[0, :8] = 1  # one token row masked in sample 0 only
    else:
        structure_mask[:] = 1
    query_index = torch.tensor([[0, 1, 2, 7], [3, 4, 5, 8]])
    calls = spy_key_paths(monkeypatch, neck)
    compare_token_fusion(neck, torch.randn(2, 16, 3, 3),
                         torch.randn(2, 1, 96, 96), structure_mask,
                         query_index)
    assert calls == ['full', 'full']  # forward, then forward_tokens
    assert neck.visible_key_index(structure_mask) is None


def test_forward_tokens_index_shape_error():
    neck = build_neck()
    args = (torch.randn(2, 16, 3, 3), torch.randn(2, 1, 96, 96),
            torch.zeros(2, 24, 24))
    with pytest.raises(ValueError, match=r'query_index.*\(B=2, K\).*\(4,\)'):
        neck.forward_tokens(*args, torch.arange(4), None)
    with pytest.raises(ValueError, match=r'key_index.*\(B=2, K\).*\(3, 2\)'):
        neck.forward_tokens(*args, torch.zeros(2, 1).long(),
                            torch.zeros(3, 2).long())

import pytest
import torch
import torch.nn.functional as F

from mmpretrain.registry import MODELS
from sgmim.models.necks import token_visibility


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


def spy_paths(monkeypatch, neck):
    """Record which path each call took: 'gathered' or 'full'."""
    calls = []
    gathered, full = neck._fuse_gathered, neck._fuse

    def spy_gathered(*args):
        out = gathered(*args)
        calls.append('full' if out is None else 'gathered')
        return out

    monkeypatch.setattr(neck, '_fuse_gathered', spy_gathered)
    monkeypatch.setattr(neck, '_fuse', full)
    return calls


def compare_query_fusion(neck, img_feat, smap, structure_mask, query_mask):
    """Outputs and gradients (of a loss reading the query tokens only) with
    and without ``query_mask``; checks them equal and I_SF = I_F elsewhere.
    Run in float64, so that 1e-6 measures the method, not float32 rounding
    of sums taken in another order."""
    neck.double()
    img_feat, smap = img_feat.double(), smap.double()
    results = []
    for qm in (None, query_mask):
        neck.zero_grad()
        feat = img_feat.clone().requires_grad_()
        out = neck(feat, smap, structure_mask, query_mask=qm)
        weight = query_mask.view(out.shape[0], 1, *out.shape[2:])
        (out.square() * weight).sum().backward()
        grads = {n: p.grad.clone() for n, p in neck.named_parameters()}
        results.append((out.detach(), feat.grad, grads))
    (full, full_in, full_grads), (part, part_in, part_grads) = results
    q = query_mask.view(full.shape[0], 1, *full.shape[2:]).expand_as(full)
    assert torch.allclose(part[q], full[q], rtol=1e-6, atol=1e-6)
    assert torch.equal(part[~q], img_feat[~q])
    assert torch.allclose(part_in, full_in, rtol=1e-6, atol=1e-6)
    for name, grad in full_grads.items():
        assert torch.allclose(part_grads[name], grad, rtol=1e-6,
                              atol=1e-6), name


@pytest.mark.parametrize('complementary', [True, False])
def test_query_mask_gathers_equal_counts(complementary, make_masks,
                                         monkeypatch):
    """Exact mask counts per sample (32 px mask patches = tokens): the block
    runs on gathered query and key tokens and matches the full block at the
    query tokens, values and gradients."""
    torch.manual_seed(0)
    neck = build_neck()
    mask, structure_mask = make_masks(3, 96, model_patch=4,
                                      complementary=complementary)
    query_mask = image_visible_tokens(mask, (3, 3))
    assert len(set(query_mask.sum(1).tolist())) == 1
    calls = spy_paths(monkeypatch, neck)
    compare_query_fusion(neck, torch.randn(3, 16, 3, 3),
                         torch.randn(3, 1, 96, 96), structure_mask,
                         query_mask)
    assert calls == ['gathered']


@pytest.mark.parametrize('complementary', [True, False])
def test_query_mask_unequal_counts_fall_back(complementary, make_masks,
                                             monkeypatch):
    """Finer mask patches (16 px < 32 px tokens): partially visible tokens
    are queries, counts differ per sample, the full block is run and the
    query tokens still match it."""
    torch.manual_seed(0)
    neck = build_neck()
    mask, structure_mask = make_masks(4, 96, model_patch=4, mask_patch=16,
                                      complementary=complementary)
    query_mask = image_visible_tokens(mask, (3, 3))
    fully_visible = token_visibility(mask, (3, 3))
    assert (query_mask & ~fully_visible).any()  # partially visible tokens
    assert len(set(query_mask.sum(1).tolist())) > 1
    calls = spy_paths(monkeypatch, neck)
    compare_query_fusion(neck, torch.randn(4, 16, 3, 3),
                         torch.randn(4, 1, 96, 96), structure_mask,
                         query_mask)
    assert calls == ['full']


def test_query_mask_unequal_key_counts_fall_back(monkeypatch):
    """Equal query counts but unequal visible-key counts: full block."""
    torch.manual_seed(0)
    neck = build_neck()
    structure_mask = torch.zeros(2, 24, 24)
    structure_mask[0, :8] = 1  # one token row masked in sample 0 only
    query_mask = torch.zeros(2, 9, dtype=torch.bool)
    query_mask[:, :4] = True
    calls = spy_paths(monkeypatch, neck)
    compare_query_fusion(neck, torch.randn(2, 16, 3, 3),
                         torch.randn(2, 1, 96, 96), structure_mask,
                         query_mask)
    assert calls == ['full']


@pytest.mark.parametrize('case', ['no_queries', 'no_keys'])
def test_query_mask_empty_sets_fall_back(case, monkeypatch):
    """No query token or no visible key anywhere: the full block (every
    parameter keeps a defined gradient), still equal at the queries."""
    torch.manual_seed(0)
    neck = build_neck()
    structure_mask = torch.zeros(2, 24, 24)
    query_mask = torch.ones(2, 9, dtype=torch.bool)
    if case == 'no_queries':
        query_mask[:] = False
    else:
        structure_mask[:] = 1
    calls = spy_paths(monkeypatch, neck)
    img_feat = torch.randn(2, 16, 3, 3)
    out = neck(img_feat, torch.randn(2, 1, 96, 96), structure_mask,
               query_mask=query_mask)
    assert calls == ['full']
    if case == 'no_queries':
        assert torch.equal(out, img_feat)
    else:
        compare_query_fusion(neck, img_feat, torch.randn(2, 1, 96, 96),
                             structure_mask, query_mask)


def test_query_mask_shape_error():
    neck = build_neck()
    with pytest.raises(ValueError, match=r'\(2, 4\).*\(2, 9\)'):
        neck(torch.randn(2, 16, 3, 3), torch.randn(2, 1, 96, 96),
             torch.zeros(2, 24, 24), query_mask=torch.ones(2, 4).bool())

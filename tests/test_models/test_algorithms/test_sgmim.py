import pytest
import torch
from mmengine.optim import OptimWrapper

from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from sgmim.models.utils import gather_tokens, patchify

EXTRACTORS = {
    'mlp': lambda C, stride, size: dict(
        type='MLPStructureExtractor', out_channels=C, stride=stride,
        embed_dims=16),
    'transformer': lambda C, stride, size: dict(
        type='TransformerStructureExtractor', out_channels=C, stride=stride,
        input_size=size, embed_dims=16, depth=1, num_heads=2),
    'siamese': lambda C, stride, size: dict(type='SiameseStructureExtractor'),
}


def l1_head(patch_size, channel):
    return dict(type='SimMIMHead', patch_size=patch_size,
                loss=dict(type='PixelReconstructionLoss', criterion='L1',
                          channel=channel))


def sgmim_cfg(backbone, channels, stride, patch_size, img_size,
              extractor='mlp', **kwargs):
    return dict(
        type='SGMIM',
        backbone=backbone,
        neck=dict(type='SimMIMLinearDecoder', in_channels=channels,
                  encoder_stride=stride),
        head=l1_head(patch_size, 3),
        guidance_neck=dict(
            type='RelationalGuidanceNeck', in_channels=channels,
            input_size=img_size, stride=stride, num_heads=4,
            extractor=EXTRACTORS[extractor](channels, stride, img_size)),
        structure_neck=dict(type='LinearPixelShuffleDecoder',
                            in_channels=channels, encoder_stride=stride,
                            out_channels=1),
        structure_head=l1_head(patch_size, 1),
        data_preprocessor=dict(
            type='SelfSupDataPreprocessor', mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375], to_rgb=True),
        **kwargs)


@pytest.fixture
def build_sgmim(swin_config, tiny_vit):
    """Factory: (model, image size, model patch size) for 'swin' (96 px,
    stride 32, patch 4) or 'vit' (64 px, stride 16, patch 16)."""

    def build(encoder='swin', **kwargs):
        torch.manual_seed(0)
        if encoder == 'swin':
            cfg = sgmim_cfg(swin_config(96), 256, 32, 4, 96, **kwargs)
            return MODELS.build(cfg), 96, 4
        cfg = sgmim_cfg(tiny_vit(), 32, 16, 16, 64, **kwargs)
        return MODELS.build(cfg), 64, 16

    return build


def make_samples(mask, structure_mask, structure_map, as_numpy=False):
    convert = (lambda t: t.numpy()) if as_numpy else (lambda t: t)
    samples = []
    for b in range(len(mask)):
        ds = DataSample()
        ds.set_field(convert(mask[b]), 'mask')
        ds.set_field(convert(structure_mask[b]), 'structure_mask')
        ds.set_field(convert(structure_map[b]), 'structure_map')
        samples.append(ds)
    return samples


def pixel_mask(mask, patch_size):
    """(B, h0, w0) patch mask -> bool (B, H, W), written as a loop."""
    B, h0, w0 = mask.shape
    out = torch.zeros(B, h0 * patch_size, w0 * patch_size, dtype=torch.bool)
    for y in range(h0 * patch_size):
        for x in range(w0 * patch_size):
            out[:, y, x] = mask[:, y // patch_size, x // patch_size] > 0
    return out


@pytest.mark.parametrize('sparse', [True, False])
@pytest.mark.parametrize('encoder', ['swin', 'vit'])
@pytest.mark.parametrize('complementary', [True, False])
def test_losses_cover_the_paper_regions(encoder, complementary, sparse,
                                        build_sgmim, make_masks, monkeypatch):
    """(a) L_I sees errors at masked image pixels only (M_I = 1), L_S at
    structure-masked pixels only (M_S = 1, the paper's definition; with
    complementary masks these are the image-visible pixels, with random
    masks they are not); with the structure branch computed everywhere or
    only at the tokens holding a structure-masked pixel."""
    model, size, patch = build_sgmim(encoder,
                                     sparse_structure_branch=sparse)
    mask, structure_mask = make_masks(2, size, patch,
                                      complementary=complementary)
    img, smap = torch.randn(2, 3, size, size), torch.randn(2, 1, size, size)
    masked = pixel_mask(mask, patch)[:, None]
    structure_masked = pixel_mask(structure_mask, patch)[:, None]
    err_img = torch.where(masked, torch.randn(2, 3, size, size),
                          100 * torch.randn(2, 3, size, size))
    err_map = torch.where(structure_masked, torch.randn(2, 1, size, size),
                          100 * torch.randn(2, 1, size, size))
    monkeypatch.setattr(model.neck, 'forward', lambda x: img + err_img)
    monkeypatch.setattr(model.structure_neck, 'forward',
                        lambda x: smap + err_map)
    stride = 32 if encoder == 'swin' else 16
    query = {}
    fuse_tokens = model.guidance_neck.forward_tokens

    def spy_fuse_tokens(img_feat, smap_, smask, query_index, *args):
        query['index'] = query_index
        return fuse_tokens(img_feat, smap_, smask, query_index, *args)

    def decoded_tokens(tokens):  # the tokens' patches of smap + err_map
        patches = patchify(smap + err_map, stride)
        return gather_tokens(patches, query['index']).view(
            *tokens.shape[:2], 1, stride, stride)

    monkeypatch.setattr(model.guidance_neck, 'forward_tokens',
                        spy_fuse_tokens)
    monkeypatch.setattr(model.structure_neck, 'forward_tokens',
                        decoded_tokens)
    losses = model.loss(img, make_samples(mask, structure_mask, smap))
    assert ('index' in query) == sparse
    expected_img = err_img.abs().permute(0, 2, 3, 1)[masked[:, 0]].mean()
    expected_structure = err_map.abs()[:, 0][structure_masked[:, 0]].mean()
    assert set(losses) == {'loss_img', 'loss_structure'}
    assert torch.allclose(losses['loss_img'], expected_img, rtol=1e-5)
    assert torch.allclose(losses['loss_structure'], expected_structure,
                          rtol=1e-5)


def test_loss_weights_scale_the_losses(build_sgmim, make_masks):
    """(b) λ_I and λ_S multiply the returned losses."""
    model, size, patch = build_sgmim()
    weighted, _, _ = build_sgmim(image_loss_weight=0.5,
                                 structure_loss_weight=0.1)
    weighted.load_state_dict(model.state_dict())
    mask, structure_mask = make_masks(2, size, patch)
    img, smap = torch.randn(2, 3, size, size), torch.randn(2, 1, size, size)
    samples = make_samples(mask, structure_mask, smap)
    base, scaled = model.loss(img, samples), weighted.loss(img, samples)
    assert torch.allclose(scaled['loss_img'], 0.5 * base['loss_img'])
    assert torch.allclose(scaled['loss_structure'],
                          0.1 * base['loss_structure'])


@pytest.mark.parametrize('extractor', ['mlp', 'transformer', 'siamese'])
def test_every_parameter_gets_a_gradient(extractor, build_sgmim, make_masks):
    """(c) backbone (with its mask token), extractor, fusion and both
    decoders all receive non-zero gradients."""
    model, size, patch = build_sgmim(extractor=extractor)
    mask, structure_mask = make_masks(2, size, patch)
    losses = model.loss(
        torch.randn(2, 3, size, size),
        make_samples(mask, structure_mask, torch.randn(2, 1, size, size)))
    sum(losses.values()).backward()
    names = [n for n, _ in model.named_parameters()]
    for prefix in ['backbone.mask_token', 'backbone.patch_embed', 'neck.',
                   'guidance_neck.attn', 'guidance_neck.mlp',
                   'guidance_neck.pos_embed', 'structure_neck.']:
        assert any(n.startswith(prefix) for n in names), prefix
    if extractor != 'siamese':
        assert any(n.startswith('guidance_neck.extractor.') for n in names)
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_siamese_shares_the_encoder(build_sgmim, make_masks):
    """(e) no second copy of the encoder; the structure branch trains it."""
    model, size, patch = build_sgmim(extractor='siamese')
    C, N = 256, (size // 32)**2
    fusion_params = (N * C + 3 * 2 * C + 4 * C * C + C +
                     2 * 4 * C * C + 4 * C + C)
    state = model.state_dict()
    assert not any('extractor' in k for k in state)
    assert sum(p.numel() for p in model.guidance_neck.parameters()) == \
        fusion_params
    for key in ['mask_token', 'patch_embed.projection.weight']:
        assert [k for k in state if k.endswith(key)] == [f'backbone.{key}']
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(model) == count(model.backbone) + fusion_params + sum(
        count(m) for m in [model.neck, model.head, model.structure_neck,
                           model.structure_head])

    mask, structure_mask = make_masks(2, size, patch)
    smap = torch.randn(2, 1, size, size)
    img_feat = model.backbone(torch.randn(2, 3, size, size), mask)[-1]
    fused = model.guidance_neck(img_feat.detach(), smap, structure_mask,
                                model.backbone)  # only the siamese path
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    optimizer = torch.optim.SGD(model.parameters(), lr=1.)
    model.structure_head.loss(model.structure_neck(fused), smap,
                              1 - mask).backward()
    optimizer.step()
    after = model.backbone.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    assert not torch.equal(before['patch_embed.projection.weight'],
                           after['patch_embed.projection.weight'])


@pytest.mark.parametrize('stacked', [False, True])
def test_train_step_with_preprocessor(stacked, build_sgmim, make_masks):
    """(g) built from a config, one train_step through SelfSupDataPreprocessor
    on uint8 images (a batch, or a one-view list as mmpretrain's multi-view
    convention) and DataSamples holding numpy fields."""
    model, size, patch = build_sgmim()
    mask, structure_mask = make_masks(2, size, patch)
    images = [torch.randint(0, 256, (3, size, size), dtype=torch.uint8)
              for _ in range(2)]
    data = dict(
        inputs=torch.stack(images) if stacked else [torch.stack(images)],
        data_samples=make_samples(mask, structure_mask,
                                  torch.randn(2, 1, size, size),
                                  as_numpy=True))
    expected = model.loss(**model.data_preprocessor(data, True))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    log_vars = model.train_step(data, optim_wrapper)
    assert set(log_vars) == {'loss', 'loss_img', 'loss_structure'}
    for key in ['loss_img', 'loss_structure']:
        assert log_vars[key].item() == pytest.approx(expected[key].item())
    assert log_vars['loss'].item() == pytest.approx(
        log_vars['loss_img'].item() + log_vars['loss_structure'].item())
    for prefix in ['backbone.', 'guidance_neck.', 'structure_neck.', 'neck.']:
        assert any(not torch.equal(before[k], v)
                   for k, v in model.state_dict().items()
                   if k.startswith(prefix)), prefix


def test_extract_feat_is_the_unmasked_encoder(build_sgmim):
    model, size, _ = build_sgmim()
    img = torch.randn(1, 3, size, size)
    feats = model(img, mode='tensor')
    expected = model.backbone(img, None)
    assert len(feats) == len(expected)
    assert all(torch.equal(a, b) for a, b in zip(feats, expected))


def test_rejects_a_structure_map_of_another_size(build_sgmim, make_masks):
    model, size, patch = build_sgmim()
    mask, structure_mask = make_masks(2, size, patch)
    samples = make_samples(mask, structure_mask, torch.randn(2, 1, 64, 64))
    with pytest.raises(ValueError, match=r'\(2, 1, 64, 64\).*\(2, 3, 96, 96'):
        model.loss(torch.randn(2, 3, size, size), samples)


def test_rejects_two_views(build_sgmim, make_masks):
    model, size, patch = build_sgmim()
    mask, structure_mask = make_masks(2, size, patch)
    img = torch.randn(2, 3, size, size)
    samples = make_samples(mask, structure_mask, torch.randn(2, 1, size, size))
    with pytest.raises(ValueError, match='one view.*2 items'):
        model.loss([img, img], samples)


def test_encoder_alone_is_enough_for_transfer(build_sgmim, swin_config):
    """The ``backbone.`` weights load into a plain Swin with nothing missing
    (only SimMIM's mask token is left over)."""
    model, size, _ = build_sgmim()
    encoder = {k[len('backbone.'):]: v for k, v in model.state_dict().items()
               if k.startswith('backbone.')}
    cfg = dict(swin_config(size), type='SwinTransformer')
    result = MODELS.build(cfg).load_state_dict(encoder, strict=False)
    assert result.missing_keys == []
    assert result.unexpected_keys == ['mask_token']


@pytest.mark.parametrize('encoder', ['swin', 'vit'])
@pytest.mark.parametrize('mask_patch', [32, 16])
@pytest.mark.parametrize('complementary', [True, False])
def test_sparse_structure_branch_keeps_losses_and_gradients(
        encoder, mask_patch, complementary, build_sgmim, make_masks,
        monkeypatch):
    """Computing the structure branch only where it reaches L_S (the
    default) gives the same losses and parameter gradients as computing it
    everywhere. Swin (stride 32): 32 px mask patches are tokens (equal
    counts, sparse path), 16 px ones leave tokens partially masked (the
    sparse path where the samples' counts agree, else the full one). ViT
    (stride 16): both are whole tokens (sparse path). float64, so that 1e-6 measures the method rather than float32
    summation order."""
    model, size, patch = build_sgmim(encoder)
    full, _, _ = build_sgmim(encoder, sparse_structure_branch=False)
    assert (model.sparse_structure_branch
            and not full.sparse_structure_branch)
    full.load_state_dict(model.state_dict())
    model.double(), full.double()
    mask, structure_mask = make_masks(2, size, patch, mask_patch=mask_patch,
                                      complementary=complementary)
    stride = 32 if encoder == 'swin' else 16
    # sparse when every sample has as many tokens holding a structure-masked
    # pixel (always for whole-token mask patches)
    scored = pixel_mask(structure_mask, patch)
    counts = {sum(bool(scored[b, y:y + stride, x:x + stride].any())
                  for y in range(0, size, stride)
                  for x in range(0, size, stride)) for b in range(2)}
    sparse_expected = len(counts) == 1
    assert sparse_expected or mask_patch < stride
    img = torch.randn(2, 3, size, size, dtype=torch.float64)
    samples = make_samples(mask, structure_mask,
                           torch.randn(2, 1, size, size, dtype=torch.float64))

    paths, sparse_loss = [], model._structure_loss_at

    def spy(*args):
        paths.append('sparse')
        return sparse_loss(*args)

    monkeypatch.setattr(model, '_structure_loss_at', spy)
    results = []
    for m in (model, full):
        losses = m.loss(img, samples)
        sum(losses.values()).backward()
        results.append((losses, dict(m.named_parameters())))
    (sparse_losses, sparse_params), (full_losses, full_params) = results
    assert paths == (['sparse'] if sparse_expected else [])
    for key, value in full_losses.items():
        assert torch.allclose(sparse_losses[key], value, rtol=1e-6,
                              atol=1e-6), key
    for name, param in full_params.items():
        assert param.grad is not None, name
        assert torch.allclose(sparse_params[name].grad, param.grad,
                              rtol=1e-6, atol=1e-6), name


@pytest.mark.parametrize('complementary', [True, False])
def test_sparse_structure_loss_reads_structure_masked_tokens(
        complementary, build_sgmim, make_masks, monkeypatch):
    """The sparse path queries exactly the tokens holding a
    structure-masked pixel (token t = row * w + column, in increasing
    order): the image-visible ones for complementary masks."""
    model, size, patch = build_sgmim()
    mask, structure_mask = make_masks(2, size, patch, mask_patch=32,
                                      complementary=complementary)
    seen = {}
    loss_at = model._structure_loss_at

    def spy(query_index, *args):
        seen['query_index'] = query_index
        return loss_at(query_index, *args)

    monkeypatch.setattr(model, '_structure_loss_at', spy)
    model.loss(torch.randn(2, 3, size, size),
               make_samples(mask, structure_mask,
                            torch.randn(2, 1, size, size)))
    scored = pixel_mask(structure_mask, patch)
    expected = [[t for t, (y, x) in enumerate(
        (y, x) for y in range(0, size, 32) for x in range(0, size, 32))
        if scored[b, y:y + 32, x:x + 32].any()] for b in range(2)]
    assert seen['query_index'].tolist() == expected


def test_token_indices_found_before_the_encoder_runs(build_sgmim, make_masks,
                                                     monkeypatch):
    """Finding the indices reads counts back from the device; done before
    the encoder is queued, it does not wait for the encoder's kernels."""
    model, size, patch = build_sgmim()
    mask, structure_mask = make_masks(2, size, patch)
    events = []
    backbone_forward = model.backbone.forward
    key_index = model.guidance_neck.visible_key_index

    def spy_backbone(*args, **kwargs):
        events.append('encoder')
        return backbone_forward(*args, **kwargs)

    def spy_keys(*args):
        events.append('key index')
        return key_index(*args)

    monkeypatch.setattr(model.backbone, 'forward', spy_backbone)
    monkeypatch.setattr(model.guidance_neck, 'visible_key_index', spy_keys)
    model.loss(torch.randn(2, 3, size, size),
               make_samples(mask, structure_mask,
                            torch.randn(2, 1, size, size)))
    assert events == ['key index', 'encoder']

"""MTO as a switch on SimMIM, MAE and SG-MIM: off is the plain algorithm bit
for bit, on adds the terms from the right features without touching the
plain losses."""
import pytest
import torch
from test_sgmim import make_samples, sgmim_cfg

from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from sgmim.analysis.heterogeneity import (split_heterogeneity,
                                          split_on_token_grid)

D, IMG = 32, 64  # 4 x 4 patches of 16 px


def vit_arch(layers=2):
    return dict(embed_dims=D, num_layers=layers, num_heads=2,
                feedforward_channels=2 * D)


def simmim(kind='SimMIM', backbone='SimMIMVisionTransformer', **kwargs):
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type=kind,
        backbone=dict(type=backbone, arch=vit_arch(), img_size=IMG,
                      patch_size=16),
        neck=dict(type='SimMIMLinearDecoder', in_channels=D,
                  encoder_stride=16),
        head=dict(type='SimMIMHead', patch_size=16,
                  loss=dict(type='PixelReconstructionLoss', criterion='L1',
                            channel=3)), **kwargs))
    model.init_weights()
    return model


def mae(kind='MAE', **kwargs):
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type=kind,
        backbone=dict(type='MAEViT', arch=vit_arch(), img_size=IMG,
                      patch_size=16, mask_ratio=0.75),
        neck=dict(type='MAEPretrainDecoder', num_patches=16, patch_size=16,
                  embed_dim=D, decoder_embed_dim=16, decoder_depth=2,
                  decoder_num_heads=2),
        head=dict(type='MAEPretrainHead', norm_pix=True, patch_size=16,
                  loss=dict(type='PixelReconstructionLoss', criterion='L2')),
        **kwargs))
    model.init_weights()
    return model


def sgmim(swin_config, **kwargs):
    torch.manual_seed(0)
    return MODELS.build(sgmim_cfg(swin_config(96), 256, 32, 4, 96, **kwargs))


def images(size=IMG, batch=2):
    return torch.randn(batch, 3, size, size,
                       generator=torch.Generator().manual_seed(1))


def simmim_samples(batch=2, side=4, masked=6, seed=2):
    g = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(batch):
        mask = torch.zeros(side * side)
        mask[torch.randperm(side * side, generator=g)[:masked]] = 1
        samples.append(DataSample(mask=mask.view(side, side)))
    return samples


def run(model, inputs, samples, seed=3):
    """Losses and parameter gradients of one ``loss`` call (MAE's random
    masking seeded)."""
    model.zero_grad()
    torch.manual_seed(seed)
    losses = model.loss(inputs, samples)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters()
             if p.grad is not None}
    return {k: v.detach() for k, v in losses.items()}, grads


def keep(store, key, pick=lambda out: out):
    """A forward hook storing ``pick(output)`` (detached) of the first call
    under ``key``; it returns None, so the output is unchanged."""

    def hook(module, args, output):
        store.setdefault(key, pick(output).detach())

    return hook


def assert_identical(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


PLAIN = {
    'simmim': (lambda c, **kw: simmim(**kw),
               lambda c, **kw: simmim('MTOSimMIM', **kw),
               lambda: (images(), simmim_samples())),
    'mae': (lambda c, **kw: mae(**kw), lambda c, **kw: mae('MTOMAE', **kw),
            lambda: (images(), [DataSample(), DataSample()])),
}


@pytest.mark.parametrize('name', sorted(PLAIN))
def test_off_is_the_plain_algorithm_and_on_keeps_its_losses(name):
    plain, with_mto, batch = PLAIN[name]
    inputs, samples = batch()
    expected, expected_grads = run(plain(None), inputs, samples)
    off, off_grads = run(with_mto(None, mto=None), inputs, samples)
    assert_identical(off, expected)
    assert_identical(off_grads, expected_grads)
    on_model = with_mto(None, mto=dict())
    assert on_model.state_dict().keys() == plain(None).state_dict().keys()
    on, _ = run(on_model, inputs, samples)
    plain_key = f'loss_{name}'  # renamed: mmengine logs the total as loss
    assert set(on) == {plain_key, 'loss_mto_spa', 'loss_mto_e', 'loss_mto_r',
                       'mto_heterogeneity_first', 'mto_heterogeneity_last'}
    assert_identical({'loss': on[plain_key]}, expected)


def test_sgmim_off_is_plain_and_on_keeps_its_losses(swin_config, make_masks):
    mask, structure_mask = make_masks(2, 96, 4)
    samples = make_samples(mask, structure_mask, torch.rand(2, 1, 96, 96))
    inputs = images(96)
    model = sgmim(swin_config)
    assert model.mto_loss is None
    expected, grads = run(model, inputs, samples)
    plain = sgmim(swin_config)
    torch.manual_seed(3)
    direct = plain._reconstruction_loss(inputs, samples)
    assert_identical({k: v.detach() for k, v in direct.items()}, expected)
    on, _ = run(sgmim(swin_config, mto=dict()), inputs, samples)
    assert set(on) == {'loss_img', 'loss_structure', 'loss_mto_spa',
                       'loss_mto_e', 'loss_mto_r', 'mto_heterogeneity_first',
                       'mto_heterogeneity_last'}
    assert_identical({k: on[k] for k in expected}, expected)
    # MTO reads the image pass, not the Siamese extractor's second pass
    siamese, _ = run(sgmim(swin_config, mto=dict(), extractor='siamese'),
                     inputs, samples)
    for key in ('loss_mto_spa', 'loss_mto_e', 'loss_mto_r'):
        torch.testing.assert_close(siamese[key], on[key])


def test_layer_zero_holds_the_mask_tokens():
    """SimMIM: the tokens of ``backbone.drop_after_pos`` at masked patches
    are the mask token plus the position embedding; H^0 and L_e are
    computed from those tokens (cls left out)."""
    model = simmim('MTOSimMIM', mto=dict(terms=('e', ), eps=1e-3))
    assert model.mto_layers == ['backbone.drop_after_pos']
    inputs, samples = images(), simmim_samples()
    seen = {}
    handle = model.backbone.drop_after_pos.register_forward_hook(
        keep(seen, 0))
    losses = model.loss(inputs, samples)
    handle.remove()
    tokens = seen[0][:, 1:]  # without the cls token
    mask = torch.stack([s.mask for s in samples]).bool()
    expected = model.backbone.mask_token[0, 0] + \
        model.backbone.pos_embed[0, 1:]
    for b in range(2):
        torch.testing.assert_close(tokens[b][mask[b].flatten()],
                                   expected[mask[b].flatten()].detach())
    h0 = split_heterogeneity(tokens, split_on_token_grid(mask, (4, 4)))
    torch.testing.assert_close(losses['loss_mto_e'],
                               (1 / (h0 + 1e-3)).mean())
    torch.testing.assert_close(losses['mto_heterogeneity_first'], h0.mean())


@pytest.mark.parametrize('name', ['simmim', 'mae'])
def test_gradient_of_le_reaches_the_mask_token(name):
    model = (simmim('MTOSimMIM', mto=dict(terms=('e', ))) if name == 'simmim'
             else mae('MTOMAE', mto=dict(terms=('e', ))))
    inputs, samples = PLAIN[name][2]()
    model.loss(inputs, samples)['loss_mto_e'].backward()
    token = (model.backbone.mask_token if name == 'simmim'
             else model.neck.mask_token)
    assert torch.isfinite(token.grad).all() and token.grad.abs().sum() > 0


def test_mae_reads_the_decoder_with_its_own_mask():
    model = mae('MTOMAE', mto=dict())
    assert model.mto_layers == ['neck.decoder_blocks.0:input',
                                'neck.decoder_blocks.0',
                                'neck.decoder_blocks.1']
    seen = {}
    handle = model.backbone.register_forward_hook(
        keep(seen, 'mask', lambda out: out[1]))
    torch.manual_seed(3)
    losses = model.loss(images(), [DataSample(), DataSample()])
    handle.remove()
    # 12 of the 16 patches removed: H^0 ≤ log |V| = log 4
    assert seen['mask'].sum(1).tolist() == [12, 12]
    assert 0 < losses['mto_heterogeneity_first'] <= torch.log(
        torch.tensor(4.)) + 1e-6


def test_swin_stages_follow_the_stage_rule(swin_config):
    """A mask with 16 px cells and one stray patch leaves mixed tokens
    after the merges; L_r equals the sum over consecutive layers of the
    batch-mean softplus, each layer's sets taken by the stage rule."""
    torch.manual_seed(0)
    cfg = dict(type='MTOSimMIM', backbone=swin_config(64),
               neck=dict(type='SimMIMLinearDecoder', in_channels=256,
                         encoder_stride=32),
               head=dict(type='SimMIMHead', patch_size=4,
                         loss=dict(type='PixelReconstructionLoss',
                                   criterion='L1', channel=3)),
               mto=dict(terms=('r', )))
    model = MODELS.build(cfg)
    assert model.mto_layers == ['backbone.drop_after_pos'] + [
        f'backbone.stages.{s}.blocks.{b}'
        for s, n in enumerate([1, 1, 2, 1]) for b in range(n)]
    cells = torch.tensor([[1, 1, 0, 0], [1, 1, 0, 0], [1, 0, 1, 1],
                          [0, 1, 1, 1]], dtype=torch.float)
    masks = torch.stack([cells, cells.T]).repeat_interleave(
        4, 1).repeat_interleave(4, 2)  # 16 px cells on the 4 px patches
    masks[0, 1, 13] = 1  # one masked patch in a visible cell
    samples = [DataSample(mask=m) for m in masks]
    grids = {}
    hooks = [model.backbone.drop_after_pos.register_forward_hook(
        keep(grids, 0))]
    for s, stage in enumerate(model.backbone.stages):
        for b, block in enumerate(stage.blocks):
            hooks.append(block.register_forward_hook(
                keep(grids, (s, b))))
    losses = model.loss(images(64), samples)
    for handle in hooks:
        handle.remove()
    mask = torch.stack([s.mask for s in samples])
    h = []
    for tokens in grids.values():
        side = int(tokens.shape[1]**0.5)
        split = split_on_token_grid(mask, (side, side))
        h.append((split_heterogeneity(tokens, split),
                  torch.tensor(split.valid)))
    # the 2x2 stage-3 grid of 8x8-patch tokens: mixed tokens, and sample 0
    # (the stray patch) without a visible one, left out of the last pair
    assert (split.masked_counts, split.visible_counts) == ((2, 2), (0, 1))
    expected = sum(
        (torch.nn.functional.softplus(h[i - 1][0] - h[i][0]) * (
            h[i - 1][1] & h[i][1])).sum() / (h[i - 1][1] & h[i][1]).sum()
        for i in range(1, len(h)))
    torch.testing.assert_close(losses['loss_mto_r'], expected)


def test_bad_sources_fail_at_build():
    with pytest.raises(ValueError, match='drops the masked patches'):
        mae('MTOMAE', mto=dict(layers=['backbone.layers.0']))
    with pytest.raises(KeyError, match='backbone.layers.1') as error:
        simmim('MTOSimMIM', mto=dict(layers=['backbone.drop_after_pos',
                                             'backbone.layer.1']))
    assert 'token layers: backbone.drop_after_pos, backbone.layers.0, ' \
        'backbone.layers.1' in str(error.value)
    with pytest.raises(ValueError, match='VisionTransformer has none'):
        simmim('MTOSimMIM', backbone='VisionTransformer', mto=dict())
    with pytest.raises(ValueError, match='mto must be a dict'):
        simmim('MTOSimMIM', mto=True)
    with pytest.raises(ValueError, match='without repeats'):
        simmim('MTOSimMIM', mto=dict(layers=['backbone.layers.0'] * 2))
    # plain VisionTransformer without MTO still builds as SimMIM does
    simmim('MTOSimMIM', backbone='VisionTransformer')


def test_an_unmasked_batch_is_a_clear_error():
    model = simmim('MTOSimMIM', mto=dict())
    samples = [DataSample(mask=torch.zeros(4, 4)) for _ in range(2)]
    with pytest.raises(ValueError, match='backbone.drop_after_pos: no '
                       'sample|at backbone.drop_after_pos no sample'):
        model.loss(images(), samples)

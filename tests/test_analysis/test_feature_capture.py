"""FeatureCapture, TokenFeatures and the default layer lists, against
forwards written out by hand."""
import pytest
import torch
import torch.nn as nn
from mmpretrain.models.utils import resize_pos_embed

from sgmim.analysis.features import (MESA_LAYERS, FeatureCapture,
                                     default_layers, get_module, infer_grid,
                                     run_backbone, to_token_features)
from sgmim.analysis.loading import load_model


@pytest.fixture(scope='module')
def models(tiny_configs, tiny_checkpoints):
    return {name: load_model(tiny_configs[name], tiny_checkpoints[name])
            for name in ('vit', 'swin', 'swinv2')}


def test_infer_grid():
    assert infer_grid(36, (96, 96)) == (6, 6)
    assert infer_grid(24, (96, 64)) == (6, 4)
    assert infer_grid(12, (50, 50)) is None
    assert infer_grid(49, (100, 100)) == (7, 7)  # ceil(100/16)
    assert infer_grid(36, (100, 100)) == (6, 6)  # floor(100/16)
    assert infer_grid(16, None) == (4, 4) and infer_grid(15, None) is None


def test_to_token_features_layouts():
    fmap = torch.arange(2 * 3 * 2 * 4.).reshape(2, 3, 2, 4)
    feats = to_token_features(fmap)
    assert feats.hw == (2, 4) and feats.cls is None
    # token n = (row, col) row-major, channels last
    assert feats.tokens[1, 5, 2] == fmap[1, 2, 1, 1]
    assert torch.equal(feats.as_map(), fmap)
    tokens = torch.randn(2, 1 + 6, 5)
    with_cls = to_token_features(tokens, image_hw=(6, 4))
    assert with_cls.hw == (3, 2)
    assert torch.equal(with_cls.cls, tokens[:, 0])
    assert torch.equal(with_cls.tokens, tokens[:, 1:])
    merged = to_token_features((tokens[:, 1:], (2, 3)))
    assert merged.hw == (2, 3) and merged.cls is None
    visible = to_token_features(torch.randn(2, 7, 5), image_hw=(32, 32))
    assert visible.hw is None
    with pytest.raises(ValueError, match='not on a known grid'):
        visible.as_map()
    with pytest.raises(ValueError, match='lay.x: output is a tuple of 2'):
        to_token_features((tokens, tokens), name='lay.x')
    with pytest.raises(ValueError, match=r'got shape \(2, 5\)'):
        to_token_features(torch.randn(2, 5))


def test_vit_blocks_match_a_hand_written_forward(models):
    model = models['vit']
    backbone = model.backbone
    images = torch.randn(3, 3, 32, 32)
    with FeatureCapture(model, default_layers(model)) as capture:
        out = run_backbone(model, images)
        first, last = capture.collect()
    with torch.no_grad():
        x, grid = backbone.patch_embed(images)
        x = torch.cat([backbone.cls_token.expand(3, -1, -1), x], 1)
        x = x + resize_pos_embed(backbone.pos_embed, backbone.patch_resolution,
                                 grid, num_extra_tokens=1)
        x = backbone.layers[0](x)
    assert first.hw == (4, 4)
    torch.testing.assert_close(first.cls, x[:, 0])
    torch.testing.assert_close(first.tokens, x[:, 1:])
    # ln1 of the last block's tokens is the returned (B, C, h, w) map
    final = backbone.ln1(torch.cat([last.cls[:, None], last.tokens], 1))
    torch.testing.assert_close(
        final[:, 1:].transpose(1, 2).reshape(3, 16, 4, 4), out[-1])


def test_swin_blocks_are_row_major_on_the_stage_grid(models):
    model = models['swin']
    layers = default_layers(model)
    assert layers == [f'backbone.stages.{i}.blocks.{j}' for i in range(2)
                      for j in range(2)]
    images = torch.randn(2, 3, 32, 32)
    with FeatureCapture(model, layers) as capture:
        out = run_backbone(model, images)
        feats = capture.collect()
    assert [f.hw for f in feats] == [(8, 8)] * 2 + [(4, 4)] * 2
    assert all(f.cls is None for f in feats)
    normed = model.backbone.norm1(feats[-1].tokens)
    torch.testing.assert_close(
        to_token_features(normed, hw=(4, 4)).as_map(), out[0])


def test_capture_clear_and_hook_removal(models):
    model = models['vit']
    capture = FeatureCapture(model, ['backbone.layers.1'])
    with capture:
        run_backbone(model, torch.randn(2, 3, 32, 32))
        assert list(capture.features) == ['backbone.layers.1']
        capture.clear()
        with pytest.raises(RuntimeError, match='did not run'):
            capture.collect()
    run_backbone(model, torch.randn(2, 3, 32, 32))
    assert capture.features == {}


def test_unknown_layer_lists_nearest_names(models):
    with pytest.raises(KeyError, match='backbone.layers.1') as info:
        FeatureCapture(models['vit'], ['backbone.layer.1'])
    assert "no module 'backbone.layer.1'" in str(info.value)
    with pytest.raises(KeyError, match='nearest names'):
        get_module(models['swin'], 'backbone.stages.0.block.0')
    with pytest.raises(ValueError, match='repeats'):
        FeatureCapture(models['vit'], ['backbone.ln1', 'backbone.ln1'])
    with pytest.raises(ValueError, match='empty'):
        FeatureCapture(models['vit'], [])


def test_default_layers_errors(models):
    with pytest.raises(ValueError, match='preset must be'):
        default_layers(models['vit'], 'heads')
    with pytest.raises(ValueError, match="preset 'mesa' needs a SwinV2"):
        default_layers(models['swin'], 'mesa')
    with pytest.raises(ValueError, match='no backbone'):
        default_layers(nn.Linear(2, 2))


def test_mesa_layers_map_the_authors_names(models):
    """The MIM-Depth-Estimation names map onto mmpretrain's SwinV2 (depths
    2, 2, 16, 2): ``layers.i.downsample`` (end of stage i) is mmpretrain's
    ``stages.{i+1}.downsample`` -- its output is what the next stage's first
    block receives, at twice the channels and half the grid; ``norm3`` is
    the norm whose output the backbone returns; the list is in forward
    order."""
    model = models['swinv2']
    layers = default_layers(model, 'mesa')
    assert layers == [ours for _, ours in MESA_LAYERS]
    assert [theirs for theirs, _ in MESA_LAYERS][::8] == [
        'layers.0.downsample.norm', 'norm3']
    backbone, order, block_inputs = model.backbone, [], {}
    for i in (1, 2, 3):
        backbone.stages[i].blocks[0].register_forward_pre_hook(
            lambda m, args, i=i: block_inputs.__setitem__(i, args[0]))
    for name in layers:
        get_module(model, name).register_forward_hook(
            lambda m, a, o, name=name: order.append(name))
    images = torch.randn(2, 3, 64, 64)
    with FeatureCapture(model, layers) as capture:
        out = run_backbone(model, images)
        feats = dict(zip(layers, capture.collect()))
    assert order == layers
    for i, grid in ((1, 8), (2, 4), (3, 2)):
        merged = feats[f'backbone.stages.{i}.downsample.norm']
        assert merged.hw == (grid, grid)
        assert merged.tokens.shape[-1] == 8 * 2**i
        torch.testing.assert_close(merged.tokens, block_inputs[i])
    torch.testing.assert_close(feats['backbone.norm3'].as_map(), out[0])
    assert feats['backbone.stages.2.blocks.9.norm1'].hw == (4, 4)


def test_run_backbone_mask(models, tiny_configs, tiny_checkpoints):
    seg = load_model(tiny_configs['seg'], tiny_checkpoints['seg'])
    with pytest.raises(ValueError, match='takes no mask'):
        run_backbone(seg, torch.randn(1, 3, 32, 32), mask=torch.zeros(1, 4, 4))
    mask = torch.zeros(2, 8, 8)
    mask[:, :4] = 1
    images = torch.randn(2, 3, 32, 32)
    masked = run_backbone(models['swin'], images, mask=mask)[0]
    plain = run_backbone(models['swin'], images)[0]
    assert not torch.allclose(masked, plain)

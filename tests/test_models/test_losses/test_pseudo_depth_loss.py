"""PseudoDepthLoss: built from the registry, its terms are the loss
functions' (weighted 0.1), robust on degenerate batches."""
import pytest
import torch

from mmpretrain.registry import MODELS
from sgmim.models.losses import (confident_ranking_loss,
                                 normal_matching_loss, relative_normal_loss,
                                 sample_ranking_pairs,
                                 sample_relative_normal_pairs,
                                 surface_normals)

B, H, W = 2, 32, 40
K = torch.tensor([[30., 0., 19.5], [0., 30., 15.5], [0., 0., 1.]])


def scene():
    """A wall (z = 2) creased into a slope linear in the column (normal
    edges: the slope is curved in 3-D; its depth gradient is below 0.1·max),
    a far step on the bottom rows (a depth edge), a textured image."""
    cols = torch.arange(W, dtype=torch.float32).expand(H, W)
    pseudo = 2 + 0.02 * (cols - 20).clamp_min(0)
    pseudo = pseudo.clone()
    pseudo[24:] += 1.0
    pseudo = pseudo.expand(B, 1, H, W).clone()
    pseudo[1] *= 1.3
    image = torch.full((B, 3, H, W), 0.2)
    image[:, 0, 8:14, 6:30] = 0.9
    g = torch.Generator().manual_seed(3)
    pred = pseudo * (1 + 0.2 * torch.rand(B, 1, H, W, generator=g))
    confidence = torch.rand(B, 1, H, W, generator=g)
    return pred, pseudo, K.expand(B, 3, 3).clone(), image, confidence


def test_terms_are_the_functions():
    loss = MODELS.build(dict(type='PseudoDepthLoss'))
    pred, pseudo, intrinsics, image, confidence = scene()
    pred.requires_grad_()
    out = loss(pred, pseudo, intrinsics, image, confidence,
               generator=torch.Generator().manual_seed(7))
    assert set(out) == {'loss_normal', 'loss_ranking',
                        'loss_relative_normal'}

    g = torch.Generator().manual_seed(7)  # the same draws, in order
    pred_n = surface_normals(pred.detach(), intrinsics)
    pseudo_n = surface_normals(pseudo, intrinsics)
    ranking_pairs = sample_ranking_pairs((B, H, W), confidence, generator=g)
    edge_pairs = sample_relative_normal_pairs(image, pseudo, pseudo_n,
                                              generator=g)
    expected = dict(
        loss_normal=normal_matching_loss(pred_n, pseudo_n),
        loss_ranking=confident_ranking_loss(pred.detach(), pseudo,
                                            *ranking_pairs),
        loss_relative_normal=relative_normal_loss(pred_n, pseudo_n,
                                                  *edge_pairs))
    for key, value in expected.items():
        assert value > 0, key
        assert out[key].item() == pytest.approx(0.1 * value.item(),
                                                rel=1e-6), key
    assert edge_pairs[0].numel() > 0
    sum(out.values()).backward()
    assert torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0


@pytest.mark.parametrize('case', ['constant', 'zeros', 'huge'])
def test_degenerate_batches_are_finite(case):
    """No edges and no confident pairs give a defined 0; extreme
    predictions stay finite. Gradients never NaN."""
    loss = MODELS.build(dict(type='PseudoDepthLoss'))
    pred, pseudo, intrinsics, image, confidence = scene()
    if case == 'constant':
        pseudo = torch.full_like(pseudo, 2.0)
        image = torch.zeros_like(image)
        pred = pseudo.clone()
    elif case == 'zeros':
        pseudo = torch.zeros_like(pseudo)
        pred = torch.zeros_like(pred)
        confidence = torch.ones_like(confidence)
    else:
        pred = pred * torch.where(torch.rand(pred.shape) > 0.5, 1e6, 1e-6)
    pred.requires_grad_()
    out = loss(pred, pseudo, intrinsics, image, confidence)
    total = sum(out.values())
    total.backward()
    assert torch.isfinite(total) and torch.isfinite(pred.grad).all()
    if case != 'huge':
        assert all(v.item() == 0 for v in out.values()), out
        assert torch.equal(pred.grad, torch.zeros_like(pred))


def test_weights_and_options():
    pred, pseudo, intrinsics, image, confidence = scene()
    loss = MODELS.build(dict(type='PseudoDepthLoss', normal_weight=1.0,
                             relative_normal_weight=0))
    out = loss(pred, pseudo, intrinsics, image)  # no confidence map
    assert set(out) == {'loss_normal', 'loss_ranking'}
    assert out['loss_normal'].item() == pytest.approx(normal_matching_loss(
        surface_normals(pred, intrinsics),
        surface_normals(pseudo, intrinsics)).item(), rel=1e-6)


@pytest.mark.parametrize('cfg,error,match', [
    (dict(ranking_weight=-1), ValueError, 'ranking_weight must be'),
    (dict(normal_weight='0.1'), ValueError, 'normal_weight must be'),
    (dict(ranking_ratio=1.0), ValueError, 'ranking_ratio must be > 1'),
    (dict(sample_ratio=2.0), ValueError,
     'PseudoDepthLoss: sample_ranking_pairs: sample_ratio'),
    (dict(max_distance=2), ValueError,
     'PseudoDepthLoss: .*min_distance < max_distance'),
])
def test_bad_config(cfg, error, match):
    with pytest.raises(error, match=match):
        MODELS.build(dict(type='PseudoDepthLoss', **cfg))


def test_bad_forward_input():
    loss = MODELS.build(dict(type='PseudoDepthLoss'))
    pred, pseudo, intrinsics, image, confidence = scene()
    with pytest.raises(ValueError, match='pseudo_depth of shape'):
        loss(pred, pseudo[..., :20], intrinsics, image)
    with pytest.raises(ValueError, match='confidence of shape'):
        loss(pred, pseudo, intrinsics, image, confidence[:1])
    with pytest.raises(ValueError, match='intrinsics must be'):
        loss(pred, pseudo, intrinsics[:1], image)

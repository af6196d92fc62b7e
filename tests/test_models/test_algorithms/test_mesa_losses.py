"""The MeSa geometric and supervised stages as algorithms: their loss dicts
are the loss modules on the networks' outputs, the rectification follows
SC-DepthV2's rule, gradients reach every network, and bad snippets are
clear errors."""
import pytest
import torch

import sgmim  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

ARCH = dict(embed_dims=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 2, 2],
            extra_norm_every_n_blocks=0)
K = torch.tensor([[50., 0, 31.5], [0, 50., 31.5], [0, 0, 1]])


def build(kind='MeSaGeometric', **kwargs):
    torch.manual_seed(0)
    return MODELS.build(dict(
        type=kind,
        backbone=dict(type='TransferSwinTransformerV2', arch=ARCH,
                      img_size=64, window_size=2, drop_path_rate=0.,
                      out_indices=(0, 1, 2, 3)),
        decoder=dict(type='MonodepthDecoder', in_channels=[16, 32, 64, 128]),
        pose_net=dict(type='PoseNet'), **kwargs))


def snippet(batch=2, frames=3, size=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.rand(batch, 3, size, size, generator=g)
            for _ in range(frames)]


def samples(batch=2, size=64, pseudo=True):
    out = []
    for _ in range(batch):
        sample = DataSample(intrinsics=K)
        if pseudo:
            sample.set_field(torch.rand(1, size, size) + 1, 'pseudo_depth')
        out.append(sample)
    return out


def test_geometric_losses_are_the_loss_module_on_the_networks():
    model = build()
    frames = snippet()
    losses = model.loss(frames, samples())
    assert set(losses) == {'loss_photo', 'loss_geometry', 'loss_smooth'}
    depths = [model.predict_depth(f) for f in frames]
    poses = [model.pose_net(frames[0], f) for f in frames[1:]]
    poses_inv = [model.pose_net(f, frames[0]) for f in frames[1:]]
    expected = model.loss_module(frames[0], frames[1:], depths[0],
                                 depths[1:], poses, poses_inv,
                                 K.expand(2, 3, 3))
    for key, value in expected.items():
        torch.testing.assert_close(losses[key], value)
    sum(losses.values()).backward()
    for part in (model.backbone, model.decoder, model.pose_net):
        grads = [p.grad for p in part.parameters() if p.requires_grad]
        assert any(g is not None and g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize('rotation,uses_rot1', [(0.05, True), (0.2, False)])
def test_rectification_follows_sc_depth_v2(monkeypatch, rotation,
                                           uses_rot1):
    """A rectifier that always answers ``rotation``: r1 = r2 = r3, so the
    triplet term is the margin, and the consistency term is 0 when r1
    (in (0.02, 0.1)) is the target, else |rotation − uniform(±0.05)|."""
    model = build(rectify_net=dict(type='RectifyNet'))
    monkeypatch.setattr(
        model.rectify_net, 'forward',
        lambda a, b: torch.full((a.shape[0], 3), rotation))
    torch.manual_seed(1)
    losses = model.loss(snippet(), samples(pseudo=False))
    assert losses['loss_rot_triplet'].item() == pytest.approx(0.05)
    assert losses['rot_before'].item() == pytest.approx(rotation)
    if uses_rot1:
        assert losses['loss_rot_consistency'].item() == 0
    else:
        torch.manual_seed(1)
        targets = (torch.rand(2, 2, 3) - 0.5) * 0.1  # the draw, per ref
        assert losses['loss_rot_consistency'].item() == pytest.approx(
            (rotation - targets).abs().mean().item(), rel=1e-5)


def test_supervised_adds_the_pseudo_depth_terms():
    model = build('MeSaSupervised')
    frames, batch = snippet(), samples()
    losses = model.loss(frames, batch)
    assert set(losses) == {'loss_photo', 'loss_geometry', 'loss_normal',
                           'loss_ranking', 'loss_relative_normal'}
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    assert model.backbone.patch_embed.projection.weight.grad.abs().sum() > 0


def test_bad_snippets_are_clear_errors():
    model = build('MeSaSupervised')
    with pytest.raises(ValueError, match='takes a snippet'):
        model.loss(snippet(frames=1), samples())
    with pytest.raises(KeyError, match="no 'intrinsics'"):
        model.loss(snippet(), [DataSample(pseudo_depth=torch.ones(1, 64, 64))
                               for _ in range(2)])
    with pytest.raises(KeyError, match="no 'pseudo_depth'"):
        model.loss(snippet(), samples(pseudo=False))
    with pytest.raises(ValueError, match='does not match the target'):
        model.loss(snippet(), samples(size=32))

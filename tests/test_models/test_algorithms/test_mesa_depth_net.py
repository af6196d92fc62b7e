"""The depth network of the MeSa stages (``DisparityDepthMixin`` on
``MeSaGeometric``): depth = 1 / disparity at full resolution on Swin,
SwinV2 and ViT + pyramid neck encoders; gradients reach the encoder; the
encoder's ``backbone.`` entries load strictly into a fresh SwinV2, into the
next stage and into the depth fine-tuning backbone, and a SimMIM stage-1
encoder loads into it, all through ``init_cfg`` (one config key)."""
import pytest
import torch
from mmpretrain.registry import MODELS

import sgmim  # noqa: F401  (registers the models and the initialiser)
from sgmim.models.utils import EncoderCheckpointError
from sgmim.models.utils.load_report import load_with_report
from sgmim.models.utils.optional_pretrained_init import encoder_state_dict

SWINV2_ARCH = dict(embed_dims=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 2, 2],
                   extra_norm_every_n_blocks=0)
CHANNELS = [16, 32, 64, 128]


def swinv2(**kwargs):
    return dict(type='SwinTransformerV2', arch=SWINV2_ARCH, img_size=64,
                window_size=2, drop_path_rate=0., out_indices=(0, 1, 2, 3),
                **kwargs)


def depth_net(backbone=None, neck=None, **decoder):
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='MeSaGeometric', backbone=backbone or swinv2(), neck=neck,
        decoder=dict(type='MonodepthDecoder', in_channels=CHANNELS,
                     **decoder),
        pose_net=dict(type='PoseNet')))


def images(batch=2, size=64, seed=0):
    return torch.randn(batch, 3, size, size,
                       generator=torch.Generator().manual_seed(seed))


def perturbed(module, seed=1):
    """``module`` with every parameter moved off its initialisation."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return module


@pytest.fixture(scope='module')
def net():
    return depth_net()


def test_depth_is_inverse_disparity_at_full_resolution(net):
    img = images()
    disp = net.predict_disparity(img)
    depth = net.predict_depth(img)
    assert depth.shape == disp.shape == (2, 1, 64, 64)
    torch.testing.assert_close(depth, 1 / disp)
    assert disp.min() >= 0.01 and disp.max() <= 10.01


def test_constant_images_give_finite_depth(net):
    for img in (torch.zeros(1, 3, 64, 64), torch.full((1, 3, 64, 64), 1e4)):
        depth = net.predict_depth(img)
        assert torch.isfinite(depth).all()
        assert depth.min() >= 1 / 10.01 - 1e-6 and depth.max() <= 100 + 1e-4


def test_gradient_reaches_every_encoder_stage():
    model = depth_net()
    model.predict_depth(images()).mean().backward()
    for name, p in model.backbone.named_parameters():
        assert p.grad is not None, name
    for name in ('patch_embed.projection.weight',
                 'stages.3.blocks.0.ffn.layers.1.weight'):
        grad = dict(model.backbone.named_parameters())[name].grad
        assert grad.abs().sum() > 0, name


def test_swin_v1_encoder():
    backbone = dict(type='SwinTransformer',
                    arch=dict(embed_dims=16, depths=[1, 1, 1, 1],
                              num_heads=[1, 1, 2, 2]),
                    img_size=64, window_size=2, drop_path_rate=0.,
                    out_indices=(0, 1, 2, 3))
    assert depth_net(backbone).eval().predict_depth(images()).shape == (
        2, 1, 64, 64)


def test_vit_with_pyramid_neck():
    """A plain ViT (4 stride-16 maps) through mmseg's MultiLevelNeck of the
    UperNet ViT configs (scales 4, 2, 1, 0.5: strides 4…32), built across
    registries from mmpretrain's."""
    vit = dict(type='VisionTransformer',
               arch=dict(embed_dims=32, num_layers=4, num_heads=2,
                         feedforward_channels=64),
               img_size=64, patch_size=16, out_type='featmap',
               out_indices=(0, 1, 2, 3), drop_path_rate=0.)
    neck = dict(type='mmseg.MultiLevelNeck', in_channels=[32] * 4,
                out_channels=16, scales=[4, 2, 1, 0.5])
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='MeSaGeometric', backbone=vit, neck=neck,
        decoder=dict(type='MonodepthDecoder', in_channels=[16] * 4),
        pose_net=dict(type='PoseNet')))
    assert model.predict_depth(images(batch=1)).shape == (1, 1, 64, 64)


def test_backbone_state_dict_loads_strictly_into_swinv2(net):
    """The ``backbone.`` entries (the whole state dict but the decoder
    and the pose net) load with ``strict=True`` into a fresh
    ``TransferSwinTransformerV2``
    and give the same maps. mmpretrain's own ``SwinTransformerV2`` deletes
    incoming window buffers before loading (any state dict, its own
    included): there the computed window buffers are the only missing
    keys."""
    state = {k[len('backbone.'):]: v for k, v in net.state_dict().items()
             if k.startswith('backbone.')}
    assert set(net.state_dict()) == {'backbone.' + k for k in state} | {
        k for k in net.state_dict()
        if k.startswith(('decoder.', 'pose_net.'))}
    fresh = MODELS.build(dict(swinv2(), type='TransferSwinTransformerV2'))
    fresh.load_state_dict(state, strict=True)
    net.eval()
    fresh.eval()  # (mmpretrain's Swin ``train`` returns None)
    img = images(batch=1)
    for a, b in zip(fresh(img), net.backbone(img)):
        torch.testing.assert_close(a, b)

    plain = MODELS.build(swinv2())
    missing, unexpected = plain.load_state_dict(state, strict=False)
    assert not unexpected and missing
    assert all(k.endswith(('relative_coords_table',
                           'relative_position_index')) for k in missing)


def save_checkpoint(path, state):
    torch.save({'state_dict': state, 'meta': {}}, path)
    return str(path)


def pretrained(checkpoint):
    return dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone.',
                strict=True)


def transfer_swinv2(checkpoint):
    return dict(swinv2(init_cfg=pretrained(checkpoint)),
                type='TransferSwinTransformerV2')


def test_stage_chain_through_init_cfg(tmp_path):
    """Stage 1 (SimMIM SwinV2, mask token) -> this net -> the next stage's
    net and the fine-tuning backbone (``out_indices=(3,)``), all
    ``TransferSwinTransformerV2`` (plain ``SwinTransformerV2`` reports its
    window buffers missing): every load strict, every encoder weight
    equal, no missing key."""
    torch.manual_seed(2)
    simmim = perturbed(MODELS.build(dict(
        swinv2(), type='SimMIMSwinTransformerV2', out_indices=(3, ))))
    stage1 = save_checkpoint(
        tmp_path / 'stage1.pth',
        {'backbone.' + k: v for k, v in simmim.state_dict().items()})
    stage2 = depth_net(transfer_swinv2(stage1))
    stage2.init_weights()
    for k, v in simmim.state_dict().items():
        if k != 'mask_token':
            torch.testing.assert_close(stage2.backbone.state_dict()[k], v)

    perturbed(stage2, seed=3)
    stage2_ckpt = save_checkpoint(tmp_path / 'stage2.pth',
                                  stage2.state_dict())
    stage3 = depth_net(transfer_swinv2(stage2_ckpt))
    stage3.init_weights()
    for k, v in stage2.backbone.state_dict().items():
        torch.testing.assert_close(stage3.backbone.state_dict()[k], v)

    finetune = MODELS.build(dict(transfer_swinv2(stage2_ckpt),
                                 out_indices=(3, )))
    finetune.init_weights()
    for k, v in finetune.state_dict().items():
        torch.testing.assert_close(v, stage2.backbone.state_dict()[k])

    # zero missing keys in both (only the unused output norms left over)
    encoder = encoder_state_dict(torch.load(stage2_ckpt), 'backbone.')
    assert load_with_report(stage3.backbone, encoder) == ([], [], [])
    missing, unexpected, mismatched = load_with_report(finetune, encoder)
    assert not missing and not mismatched
    assert sorted(unexpected) == sorted(
        f'norm{i}.{p}' for i in range(3) for p in ('weight', 'bias'))


def test_wrong_encoder_checkpoint_is_an_error(tmp_path):
    other = MODELS.build(dict(swinv2(), arch=dict(SWINV2_ARCH,
                                                  embed_dims=8)))
    path = save_checkpoint(tmp_path / 'other.pth',
                           {'backbone.' + k: v
                            for k, v in other.state_dict().items()})
    model = depth_net(swinv2(init_cfg=pretrained(path)))
    with pytest.raises(EncoderCheckpointError, match='other.pth'):
        model.init_weights()


def test_bad_image_size(net):
    with pytest.raises(ValueError, match='divisible by the deepest stride'):
        net.predict_depth(torch.zeros(1, 3, 48, 60))


def test_decoder_strides_must_match_the_encoder():
    model = depth_net(in_strides=(2, 4, 8, 16), channels=(16, 32, 64, 128))
    with pytest.raises(ValueError, match='in_strides'):
        model.predict_depth(images(batch=1))

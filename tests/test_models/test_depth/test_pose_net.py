"""PoseNet / RectifyNet: ResNet-18 on two stacked frames; the pretrained
first convolution duplicated and halved (checked on a randomly initialised
torchvision ResNet-18 file); the heads' spatial mean and scale (0.01 for
the pose, none for the rotation); the rectify net's half-resolution input."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from torchvision.models import resnet18

import sgmim.models.depth  # noqa: F401  (registers the depth models)
from sgmim.models.depth import FramePairResNet, inflate_conv1
from sgmim.models.utils import EncoderCheckpointError


def frames(batch=2, size=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, 3, size, size, generator=g) for _ in range(2)]


@pytest.fixture(scope='module')
def torchvision_state():
    torch.manual_seed(0)
    return resnet18(weights=None).state_dict()


@pytest.fixture(scope='module')
def pose_net():
    torch.manual_seed(0)
    net = MODELS.build(dict(type='PoseNet'))
    net.init_weights()
    return net.eval()


def test_inflate_conv1(torchvision_state):
    w = torchvision_state['conv1.weight']
    inflated = inflate_conv1(torchvision_state)
    assert inflated['conv1.weight'].shape == (64, 6, 7, 7)
    torch.testing.assert_close(inflated['conv1.weight'][:, :3], w / 2)
    torch.testing.assert_close(inflated['conv1.weight'][:, 3:], w / 2)
    assert torchvision_state['conv1.weight'] is w and w.shape[1] == 3
    assert all(inflated[k] is v for k, v in torchvision_state.items()
               if k != 'conv1.weight')
    # two identical frames give the single-image response
    x = frames(batch=1)[0]
    torch.testing.assert_close(
        F.conv2d(torch.cat([x, x], 1), inflated['conv1.weight'], padding=3),
        F.conv2d(x, w, padding=3))


def test_inflate_conv1_errors():
    with pytest.raises(KeyError, match="'conv1.weight'"):
        inflate_conv1({'stem.weight': torch.zeros(4, 3, 3, 3)})
    with pytest.raises(ValueError, match='conv weight'):
        inflate_conv1({'conv1.weight': torch.zeros(4, 3)})


def test_pretrained_torchvision_file_loads_inflated(
        tmp_path, torchvision_state):
    path = tmp_path / 'resnet18.pth'
    torch.save(torchvision_state, path)  # with its fc.* classifier
    net = MODELS.build(dict(type='PoseNet', pretrained=str(path)))
    net.init_weights()
    loaded = net.encoder.state_dict()
    expected = inflate_conv1(torchvision_state)
    for key, value in loaded.items():
        torch.testing.assert_close(value, expected[key], msg=key)


def test_pretrained_that_does_not_fit_names_the_file(tmp_path,
                                                     torchvision_state):
    state = dict(torchvision_state)
    del state['layer4.1.conv2.weight']
    path = tmp_path / 'truncated.pth'
    torch.save(state, path)
    net = MODELS.build(dict(type='RectifyNet', pretrained=str(path)))
    with pytest.raises(EncoderCheckpointError,
                       match=r'truncated\.pth(.|\n)*layer4\.1\.conv2'):
        net.init_weights()


def head_output(net, *inputs):
    """The net's output and its head's map (B, K, h, w) in that forward."""
    seen = {}
    handle = net.head.register_forward_hook(
        lambda module, args, out: seen.update(map=out))
    try:
        out = net(*inputs)
    finally:
        handle.remove()
    return out, seen['map']


def test_pose_is_scaled_spatial_mean(pose_net):
    tgt, ref = frames(size=96)
    pose, head_map = head_output(pose_net, tgt, ref)
    assert pose.shape == (2, 6) and head_map.shape == (2, 6, 3, 3)
    torch.testing.assert_close(pose, 0.01 * head_map.mean(dim=(2, 3)))
    # order matters: the reverse direction is a forward with swapped frames
    assert not torch.allclose(pose_net(ref, tgt), pose)


def test_pose_head_architecture(pose_net):
    convs = [m for m in pose_net.head if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.padding)
            for c in convs] == [(512, 256, (1, 1), (0, 0)),
                                (256, 256, (3, 3), (1, 1)),
                                (256, 256, (3, 3), (1, 1)),
                                (256, 6, (1, 1), (0, 0))]
    assert sum(isinstance(m, torch.nn.ReLU) for m in pose_net.head) == 3
    assert pose_net.encoder.conv1.in_channels == 6


def test_pose_of_zero_head_is_bias_times_scale():
    net = MODELS.build(dict(type='PoseNet')).eval()
    last = net.head[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.arange(6.))
    torch.testing.assert_close(net(*frames(batch=1)),
                               0.01 * torch.arange(6.)[None])


def test_rectify_net_half_resolution_unscaled():
    torch.manual_seed(0)
    net = MODELS.build(dict(type='RectifyNet'))
    net.init_weights()
    net.eval()
    tgt, ref = frames(batch=2, size=128)
    seen = {}
    handle = net.encoder.register_forward_pre_hook(
        lambda module, args: seen.update(input=args[0]))
    try:
        rot, head_map = head_output(net, tgt, ref)
    finally:
        handle.remove()
    expected_input = F.interpolate(torch.cat([tgt, ref], 1), size=(64, 64),
                                   mode='bilinear', align_corners=True)
    torch.testing.assert_close(seen['input'], expected_input)
    assert rot.shape == (2, 3) and head_map.shape == (2, 3, 2, 2)
    torch.testing.assert_close(rot, head_map.mean(dim=(2, 3)))


def test_frames_must_match(pose_net):
    tgt, ref = frames()
    with pytest.raises(ValueError, match='both frames'):
        pose_net(tgt, ref[:, :, :32])
    with pytest.raises(ValueError, match='both frames'):
        pose_net(tgt[:, :1], ref[:, :1])


def test_gradient_reaches_pose_encoder():
    net = MODELS.build(dict(type='PoseNet'))
    net(*frames()).sum().backward()
    assert net.encoder.conv1.weight.grad.abs().sum() > 0
    assert torch.isfinite(net.encoder.conv1.weight.grad).all()


@pytest.mark.parametrize('kwargs', [dict(num_outputs=0),
                                    dict(num_outputs=3, input_downsample=1.5),
                                    dict(num_outputs=3, input_downsample=0)])
def test_bad_frame_pair_configuration(kwargs):
    with pytest.raises(ValueError, match='positive integers'):
        FramePairResNet(**kwargs)

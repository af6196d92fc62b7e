"""tools/model_converters/scdepth2mesa.py on an SC-Depth-layout checkpoint
built here from torchvision ResNets: the converted MeSa stage gives the
depth, pose and rotation of SC-Depth's networks written out below with
torch ops (the reference forward), and every bad input is named."""
import importlib.util

import pytest
import torch
import torch.nn.functional as F
import torchvision
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from tool_helpers import CONFIGS, TOOLS

from sgmim.utils.scdepth_conversion import convert_scdepth

_SPEC = importlib.util.spec_from_file_location(
    'scdepth2mesa', TOOLS / 'model_converters' / 'scdepth2mesa.py')
tool = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(tool)
SCDEPTH = str(CONFIGS / 'mesa/scdepthv2_resnet18_1xb8-adam-100k_nyu-raw-'
              '256x320.py')
SYNTH_STAGE2 = str(CONFIGS / 'synth/mesa-geometric_swinv2-nano-w3_1xb4-'
                   '40it_synthscenes-traj-96x128.py')
ENC, DEC = [64, 64, 128, 256, 512], [16, 32, 64, 128, 256]


def resnet(in_channels):
    net = torchvision.models.resnet18()
    if in_channels != 3:
        net.conv1 = torch.nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
    return net


def conv(c_in, c_out, k):
    layer = torch.nn.Conv2d(c_in, c_out, k)
    return {'weight': layer.weight.data, 'bias': layer.bias.data}


def scdepth_state_dict(rectify=True, seed=0):
    """An SC-DepthV2 state dict (V3: ``rectify=False``) with random
    weights, non-trivial batch-norm statistics included."""
    torch.manual_seed(seed)
    state = {}
    nets = [('depth_net', 3), ('pose_net', 6)]
    nets += [('rectify_net', 6)] if rectify else []
    for net, channels in nets:
        for key, value in resnet(channels).state_dict().items():
            if key.endswith(('running_mean', 'running_var')):
                value = value + 0.1 * torch.rand_like(value)
            state[f'{net}.encoder.encoder.{key}'] = value
    for cnt, i in enumerate(range(4, -1, -1)):
        c_in = ENC[-1] if i == 4 else DEC[i + 1]
        skip = ENC[i - 1] if i > 0 else 0
        for name, c_from in (('upconvs0', c_in), ('upconvs1', DEC[i] + skip)):
            for p, v in conv(c_from, DEC[i], 3).items():
                state[f'depth_net.decoder.{name}.{cnt}.conv.conv.{p}'] = v
    for s in range(4):
        for p, v in conv(DEC[s], 1, 3).items():
            state[f'depth_net.decoder.dispconvs.{s}.conv.{p}'] = v
    for net, outputs in [('pose_net', 6), ('rectify_net', 3)][:len(nets) - 1]:
        for name, (c_in, c_out, k) in (
                ('conv_squeeze', (512, 256, 1)),
                ('convs_pose.0', (256, 256, 3)),
                ('convs_pose.1', (256, 256, 3)),
                ('convs_pose.2', (256, outputs, 1))):
            layer = torch.nn.Conv2d(c_in, c_out, k, 1, k // 2)
            state[f'{net}.decoder.{name}.weight'] = layer.weight.data
            state[f'{net}.decoder.{name}.bias'] = layer.bias.data
    return {'state_dict': state, 'epoch': 3}


def encoder_maps(state, net, x):
    """SC-Depth's ResnetEncoder: [relu(bn1(conv1 x)), layer1(maxpool) ...]."""
    channels = state[f'{net}.encoder.encoder.conv1.weight'].shape[1]
    encoder = resnet(channels).eval()
    prefix = f'{net}.encoder.encoder.'
    encoder.load_state_dict({k[len(prefix):]: v for k, v in state.items()
                             if k.startswith(prefix)})
    f = [encoder.relu(encoder.bn1(encoder.conv1(x)))]
    f.append(encoder.layer1(encoder.maxpool(f[0])))
    for layer in (encoder.layer2, encoder.layer3, encoder.layer4):
        f.append(layer(f[-1]))
    return f


def padded_conv(x, state, key):
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode='reflect'),
                    state[key + '.weight'], state[key + '.bias'])


def reference_depth(state, img):
    f = encoder_maps(state, 'depth_net', img)
    x = f[-1]
    for cnt, i in enumerate(range(4, -1, -1)):
        x = F.elu(padded_conv(x, state,
                              f'depth_net.decoder.upconvs0.{cnt}.conv.conv'))
        x = [F.interpolate(x, scale_factor=2, mode='bilinear',
                           align_corners=False)]
        x = torch.cat(x + ([f[i - 1]] if i > 0 else []), 1)
        x = F.elu(padded_conv(x, state,
                              f'depth_net.decoder.upconvs1.{cnt}.conv.conv'))
    disp = 10 * torch.sigmoid(padded_conv(
        x, state, 'depth_net.decoder.dispconvs.0.conv')) + 0.01
    return 1 / disp


def reference_regression(state, net, img1, img2, scale, half):
    x = torch.cat([img1, img2], 1)
    if half:
        x = F.interpolate(x, [x.shape[2] // 2, x.shape[3] // 2],
                          mode='bilinear', align_corners=True)
    out = encoder_maps(state, net, x)[-1]
    d = f'{net}.decoder.'
    out = F.relu(F.conv2d(out, state[d + 'conv_squeeze.weight'],
                          state[d + 'conv_squeeze.bias']))
    for i in range(3):
        w = state[d + f'convs_pose.{i}.weight']
        out = F.conv2d(out, w, state[d + f'convs_pose.{i}.bias'],
                       padding=w.shape[-1] // 2)
        out = F.relu(out) if i != 2 else out
    return scale * out.mean(3).mean(2)


def stage_model(config, state_dict):
    cfg = Config.fromfile(config)
    cfg.model.pose_net.pretrained = None
    cfg.model.rectify_net.pretrained = None
    cfg.model.backbone.pop('init_cfg', None)
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    model.load_state_dict(state_dict, strict=True)
    return model.eval()


def test_converted_networks_compute_scdepths_outputs(tmp_path):
    source = scdepth_state_dict()
    src, dst = tmp_path / 'scdepth.ckpt', tmp_path / 'mesa.pth'
    torch.save(source, src)
    tool.main([str(src), str(dst), '--config', SCDEPTH])
    converted = torch.load(dst, weights_only=True)
    assert converted['meta']['parts'] == ['depth', 'pose', 'rectify']
    model = stage_model(SCDEPTH, converted['state_dict'])  # strict
    state = source['state_dict']
    torch.manual_seed(1)
    img1, img2 = torch.randn(2, 2, 3, 64, 96)
    with torch.no_grad():
        torch.testing.assert_close(model.predict_depth(img1),
                                   reference_depth(state, img1))
        torch.testing.assert_close(
            model.pose_net(img1, img2),
            reference_regression(state, 'pose_net', img1, img2, 0.01, False))
        torch.testing.assert_close(
            model.rectify_net(img1, img2),
            reference_regression(state, 'rectify_net', img1, img2, 1., True))
    # dropped: the ImageNet classifiers and the coarser disparity convs
    _, dropped = convert_scdepth(source)
    assert sorted(dropped) == sorted(
        [f'{n}.encoder.encoder.fc.{p}'
         for n in ('depth_net', 'pose_net', 'rectify_net')
         for p in ('weight', 'bias')] +
        [f'depth_net.decoder.dispconvs.{s}.conv.{p}' for s in (1, 2, 3)
         for p in ('weight', 'bias')])


def test_pose_only_into_a_swinv2_stage(tmp_path):
    src, dst = tmp_path / 'v3.ckpt', tmp_path / 'pose.pth'
    torch.save(scdepth_state_dict(rectify=False), src)
    tool.main([str(src), str(dst), '--config', SYNTH_STAGE2, '--parts',
               'pose'])
    state = torch.load(dst, weights_only=True)['state_dict']
    assert state and all(k.startswith('pose_net.') for k in state)
    with pytest.raises(SystemExit, match='no rectify network '
                       r'\(rectify_net\.\* keys\)'):
        tool.main([str(src), str(tmp_path / 'x.pth'), '--config',
                   SYNTH_STAGE2, '--parts', 'rectify'])
    assert not (tmp_path / 'x.pth').exists()


def test_bad_checkpoints_are_named_and_write_nothing(tmp_path):
    out = tmp_path / 'out.pth'
    odd = scdepth_state_dict(rectify=False)
    odd['state_dict']['depth_net.decoder.extra.weight'] = torch.zeros(1)
    torch.save(odd, tmp_path / 'odd.ckpt')
    with pytest.raises(SystemExit, match="(?s)outside the SC-Depth layout.*"
                       'depth_net.decoder.extra.weight'):
        tool.main([str(tmp_path / 'odd.ckpt'), str(out), '--config',
                   SCDEPTH])
    torch.save(scdepth_state_dict(rectify=False), tmp_path / 'v3.ckpt')
    # a ResNet depth net into a SwinV2 stage: the decoder widths differ
    with pytest.raises(SystemExit, match='(?s)shape mismatch.*decoder'):
        tool.main([str(tmp_path / 'v3.ckpt'), str(out), '--config',
                   SYNTH_STAGE2, '--parts', 'depth'])
    # V3 has no rectifier: the SC-DepthV2 model's rectify_net is missing
    # only with --parts rectify; by default the parts are the source's
    tool.main([str(tmp_path / 'v3.ckpt'), str(out), '--config', SCDEPTH])
    assert torch.load(out, weights_only=True)['meta']['parts'] == [
        'depth', 'pose']

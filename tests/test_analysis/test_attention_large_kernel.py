"""Large depthwise kernels: the kernel a layer applies, found and measured."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models import RepLKNet

from sgmim.analysis.large_kernel import (default_large_kernel_layers,
                                         depthwise_kernel, input_strides)


def tiny_replknet(merged=False):
    model = RepLKNet(
        arch=dict(large_kernel_sizes=[7, 5], layers=[1, 1],
                  channels=[8, 16], small_kernel=3, dw_ratio=1),
        strides=(2, 2), dilations=(1, 1), out_indices=(1, ),
        small_kernel_merged=merged)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * .3)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-.5, .5, generator=gen)
                m.running_var.uniform_(.5, 2., generator=gen)
    model.double().eval()
    return model


def test_replknet_kernels_are_the_applied_ones():
    """module(x) − conv(x, kernel) is constant over space per channel (the
    folded bias): the kernel holds both branches and the BN scales."""
    model = tiny_replknet()
    names = default_large_kernel_layers(model, min_kernel_size=5)
    assert names == ['stages.0.blocks.0.large_kernel',
                     'stages.1.blocks.0.large_kernel']
    assert default_large_kernel_layers(model) == names[:1]  # 7 >= 7 > 5
    modules = dict(model.named_modules())
    for name in names:
        module = modules[name]
        weight, dilation = depthwise_kernel(module)
        k = module.kernel_size
        assert weight.shape == (module.lkb_origin.conv.in_channels, 1, k, k)
        assert dilation == (1, 1)
        x = torch.randn(2, weight.shape[0], 9, 9, dtype=torch.float64)
        diff = module(x) - F.conv2d(x, weight, padding=k // 2,
                                    groups=weight.shape[0])
        torch.testing.assert_close(
            diff, diff[:, :, :1, :1].expand_as(diff), atol=1e-10, rtol=0)
        assert diff.abs().max() > 1e-3  # a bias is there: BN folded


def test_merged_replknet_and_plain_depthwise_convs():
    model = tiny_replknet(merged=True)
    module = dict(model.named_modules())['stages.0.blocks.0.large_kernel']
    weight, _ = depthwise_kernel(module)
    assert torch.equal(weight, module.lkb_reparam.weight)
    holder = nn.Module()
    holder.backbone = nn.Sequential(
        nn.Conv2d(4, 4, 9, groups=4, dilation=2), nn.Conv2d(4, 4, 3,
                                                            groups=4),
        nn.Conv2d(4, 8, 9))
    assert default_large_kernel_layers(holder) == ['backbone.0']
    weight, dilation = depthwise_kernel(holder.backbone[0])
    assert dilation == (2, 2) and weight.shape == (4, 1, 9, 9)
    with pytest.raises(ValueError, match='not a depthwise conv'):
        depthwise_kernel(holder.backbone[2])
    with pytest.raises(ValueError, match='no depthwise conv with a kernel '
                       'of at least 11x11 in its backbone'):
        default_large_kernel_layers(holder, 11)


def test_input_strides_follow_the_stem_and_transitions():
    model = tiny_replknet()
    names = default_large_kernel_layers(model, 5)
    strides = input_strides(model, names,
                            torch.zeros(1, 3, 32, 32, dtype=torch.float64))
    assert strides == {names[0]: (4, 4), names[1]: (8, 8)}
    with pytest.raises(ValueError, match='does not divide'):
        input_strides(model, names,
                      torch.zeros(1, 3, 36, 36, dtype=torch.float64))

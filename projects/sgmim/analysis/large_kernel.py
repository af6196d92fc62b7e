"""Depthwise large kernels of a CNN encoder, read as attention heads.

The RepLKNet reading of REFERENCE §5: each channel of a depthwise kernel is
a head (see :func:`sgmim.analysis.attention.large_kernel_statistics`). The
kernel taken is the one the layer applies: for mmpretrain's
``ReparamLargeKernelConv`` the equivalent kernel of its large and small
conv+BN branches (BN folded in, the small kernel added at the centre;
``lkb_reparam``'s weight once merged), else the conv's own weight. Its tap
offsets are in pixels of the conv's input map; :func:`input_strides`
measures that map's stride in image pixels during a forward.
"""
from functools import partial
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn as nn
from mmpretrain.models.backbones.replknet import ReparamLargeKernelConv
from torch import Tensor

from .attention_capture import map_stride

#: Smallest kernel side taken as "large" by default (RepLKNet's small
#: parallel kernel is 5; its large ones 13 to 31).
MIN_KERNEL_SIZE = 7


def _is_depthwise(module: nn.Module) -> bool:
    return (isinstance(module, nn.Conv2d)
            and module.groups == module.in_channels == module.out_channels
            and module.groups > 1)


def default_large_kernel_layers(
        model: nn.Module, min_kernel_size: int = MIN_KERNEL_SIZE) -> List[str]:
    """Names of the depthwise convs of the encoder (``model.backbone`` if any)
    whose kernel is at least ``min_kernel_size`` on both sides:
    ``ReparamLargeKernelConv`` modules (not their branches) and plain
    depthwise ``nn.Conv2d``.

    Raises:
        ValueError: If there is none.
    """
    backbone = getattr(model, 'backbone', None)
    prefix, encoder = (('backbone.', backbone) if isinstance(
        backbone, nn.Module) else ('', model))
    names, reparam = [], []
    for name, module in encoder.named_modules():
        if any(name.startswith(r + '.') for r in reparam):
            continue
        if isinstance(module, ReparamLargeKernelConv):
            reparam.append(name)
            size = module.kernel_size
        elif _is_depthwise(module):
            size = min(module.kernel_size)
        else:
            continue
        if size >= min_kernel_size:
            names.append(prefix + name)
    if not names:
        raise ValueError(
            f'{type(model).__name__} has no depthwise conv with a kernel of '
            f'at least {min_kernel_size}x{min_kernel_size} in its '
            f'{"backbone" if prefix else "modules"}')
    return names


def depthwise_kernel(module: nn.Module) -> Tuple[Tensor, Tuple[int, int]]:
    """(weight (C, 1, kh, kw), dilation) that ``module`` applies (module
    docstring).

    Raises:
        ValueError: If ``module`` is neither a ``ReparamLargeKernelConv`` nor
            a depthwise ``nn.Conv2d``.
    """
    with torch.no_grad():
        if isinstance(module, ReparamLargeKernelConv):
            if hasattr(module, 'lkb_reparam'):
                return module.lkb_reparam.weight.detach().clone(), (1, 1)
            return module.get_equivalent_kernel_bias()[0].detach(), (1, 1)
        if _is_depthwise(module):
            return module.weight.detach().clone(), tuple(module.dilation)
    raise ValueError(f'{type(module).__name__} is not a depthwise conv or '
                     'ReparamLargeKernelConv')


def input_strides(model: nn.Module, names: Sequence[str],
                  images: Tensor) -> Dict[str, Tuple[int, int]]:
    """Stride (sy, sx) in image pixels of the input map of each named
    module, from one forward of the encoder on ``images`` (B, C, H, W).

    Raises:
        ValueError: If a map does not divide the input size.
        RuntimeError: If a module did not run.
    """
    backbone = getattr(model, 'backbone', None)
    encoder = backbone if isinstance(backbone, nn.Module) else model
    modules = dict(model.named_modules())
    sizes, handles = {}, []

    def record(name, module, args):
        sizes.setdefault(name, tuple(args[0].shape[-2:]))

    for name in names:
        handles.append(modules[name].register_forward_pre_hook(
            partial(record, name)))
    try:
        with torch.no_grad():
            encoder(images)
    finally:
        for handle in handles:
            handle.remove()
    missing = [n for n in names if n not in sizes]
    if missing:
        raise RuntimeError(f'{missing} did not run in the encoder forward')
    image_hw = tuple(images.shape[-2:])
    return {n: map_stride(n, image_hw, sizes[n], {}) for n in names}

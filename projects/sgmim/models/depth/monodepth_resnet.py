"""SC-Depth's (Monodepth2's) ResNet depth encoder: five maps, the stem's
included (mmpretrain registry)."""
from typing import Tuple

from mmpretrain.models import ResNet
from mmpretrain.registry import MODELS
from torch import Tensor

__all__ = ['MonodepthResNet']


@MODELS.register_module()
class MonodepthResNet(ResNet):
    """mmpretrain's ``ResNet`` that also returns its stem's stride-2 map,
    as SC-Depth's ``ResnetEncoder`` (Monodepth2)::

        f_0 = ReLU(BN(conv7×7/2(x)))              stride 2, 64 channels
        f_k = layer_k(maxpool(f_0)) ... layer_k   strides 4, 8, 16, 32

    so ``MonodepthDecoder(in_strides=(2, 4, 8, 16, 32))`` has a skip at
    every stage but the last, as SC-Depth's depth net. mmpretrain's ResNet
    returns its stages only; this class adds nothing else (the stem and
    block names are torchvision's, so torchvision and converted SC-Depth
    weights load unchanged).

    Args:
        depth (int): ResNet depth (SC-Depth: 18, or 50). Defaults to 18.
        **kwargs: ``ResNet``'s other arguments; ``out_indices`` defaults
            to all four stages, and the plain stem (``deep_stem=False``) is
            required.
    """

    def __init__(self, depth: int = 18, **kwargs) -> None:
        kwargs.setdefault('out_indices', (0, 1, 2, 3))
        if kwargs.get('deep_stem'):
            raise ValueError('MonodepthResNet: the stem map is the plain '
                             "stem's (conv7x7, BN, ReLU); deep_stem=True "
                             'is not supported')
        super().__init__(depth=depth, **kwargs)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """``(f_0, f_1, ..., f_4)``: the stem map, then the stages of
        ``out_indices``."""
        stem = self.relu(self.norm1(self.conv1(x)))
        outs = [stem]
        x = self.maxpool(stem)
        for i, layer_name in enumerate(self.res_layers):
            x = getattr(self, layer_name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

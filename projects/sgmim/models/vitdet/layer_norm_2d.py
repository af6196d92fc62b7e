"""Channel LayerNorm for NCHW feature maps (ViTDet's ``LN2d``)."""
import torch
from mmdet.registry import MODELS
from torch import nn


@MODELS.register_module()
class LN2d(nn.Module):
    """LayerNorm over the channel dimension of a (N, C, H, W) tensor:

        y[n, :, h, w] = (x - mean_c x) / sqrt(var_c x + eps) * weight + bias

    with the biased variance over C, i.e. ``F.layer_norm`` applied to the
    (N, H, W, C) permutation. Usable as ``norm_cfg=dict(type='LN2d')`` in
    mmdet modules (``build_norm_layer`` passes ``eps``, default 1e-5 there);
    parameter names match mmdet's ``projects/ViTDet`` so its checkpoints load.

    Args:
        normalized_shape (int): Number of channels C.
        eps (float): Added to the variance. Defaults to 1e-6.
    """

    def __init__(self, normalized_shape: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(normalized_shape))
        self.bias = nn.Parameter(torch.zeros(normalized_shape))
        self.eps = eps
        self.normalized_shape = (normalized_shape, )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.normalized_shape[0]:
            raise ValueError(
                f'LN2d({self.normalized_shape[0]}) expects (N, '
                f'{self.normalized_shape[0]}, H, W), got {tuple(x.shape)}')
        u = x.mean(1, keepdim=True)
        s = (x - u).pow(2).mean(1, keepdim=True)
        x = (x - u) / torch.sqrt(s + self.eps)
        return self.weight[:, None, None] * x + self.bias[:, None, None]

    def extra_repr(self) -> str:
        return f'{self.normalized_shape[0]}, eps={self.eps}'

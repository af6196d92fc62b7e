"""SSIM with SC-Depth's 7×7 box window (REFERENCE.md §4).

With ``μ``, ``σ²`` and ``σ_xy`` the means, variances and covariance over the
k × k window around each pixel (uniform weights 1/k², reflect padding of
k // 2 so the map keeps (H, W))::

    SSIM = (2 μ_x μ_y + C1)(2 σ_xy + C2)
           / ((μ_x² + μ_y² + C1)(σ_x² + σ_y² + C2))

with ``C1 = 0.01²`` and ``C2 = 0.03²`` (data range 1), per channel.

Why not kornia: ``kornia.metrics.ssim`` weights the window with a sampled
Gaussian of σ = 1.5 whatever its size (and adds ``eps`` to the
denominator); no option gives the uniform box that SC-Depth's
``AvgPool2d(7, 1)`` computes. The two agree where the images are flat
across the window (σ = 0: both equal ``(2 μ_x μ_y + C1) / (μ_x² + μ_y² +
C1)``) and differ on texture by the window weights only: on smooth
textures of mean SSIM ≈ 0.92 the image means agree within 0.005 and single
pixels within 0.15; on white noise the maps differ by ~0.1 on average
(tests/test_models/test_losses/test_ssim.py).
"""
import torch.nn.functional as F
from torch import Tensor

SSIM_C1 = 0.01 ** 2
SSIM_C2 = 0.03 ** 2


def box_ssim(x: Tensor, y: Tensor, window_size: int = 7,
             c1: float = SSIM_C1, c2: float = SSIM_C2) -> Tensor:
    """SSIM index map with a ``window_size`` box window (module
    docstring).

    Args:
        x, y (Tensor): (B, C, H, W) images of the same shape; H and W must
            exceed ``window_size // 2`` (reflect padding).
        window_size (int): Odd box side. Defaults to 7 (SC-Depth).
        c1, c2 (float): Stabilisers. Default to 0.01² and 0.03².

    Returns:
        Tensor: (B, C, H, W) SSIM per pixel and channel, in [−1, 1].

    Example:
        >>> import torch
        >>> x = torch.rand(1, 3, 16, 16)
        >>> bool(box_ssim(x, x).allclose(torch.ones(1)))
        True
    """
    if not isinstance(window_size, int) or window_size < 1 or \
            window_size % 2 == 0:
        raise ValueError(f'box_ssim: window_size must be a positive odd '
                         f'integer, got {window_size!r}')
    for name, image in (('x', x), ('y', y)):
        if not isinstance(image, Tensor) or image.dim() != 4:
            raise ValueError(f'box_ssim: {name} must be a (B, C, H, W) '
                             f'Tensor, got {getattr(image, "shape", image)}')
    if x.shape != y.shape:
        raise ValueError(f'box_ssim: x and y shapes differ: '
                         f'{tuple(x.shape)} vs {tuple(y.shape)}')
    pad = window_size // 2
    if min(x.shape[2:]) <= pad:
        raise ValueError(f'box_ssim: images of size {tuple(x.shape[2:])} '
                         f'are too small for reflect padding by {pad}')

    def local_mean(image):
        return F.avg_pool2d(F.pad(image, [pad] * 4, mode='reflect'),
                            window_size, stride=1)

    mu_x, mu_y = local_mean(x), local_mean(y)
    var_x = local_mean(x * x) - mu_x ** 2
    var_y = local_mean(y * y) - mu_y ** 2
    cov = local_mean(x * y) - mu_x * mu_y
    numerator = (2 * mu_x * mu_y + c1) * (2 * cov + c2)
    denominator = (mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2)
    return numerator / denominator

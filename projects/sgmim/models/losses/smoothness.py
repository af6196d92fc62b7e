"""Edge-aware smoothness of SC-Depth (REFERENCE.md §4).

On the mean-normalised map ``d̂ = d / (mean_{H,W}(d) + 1e-7)`` (per image
and channel) and the image ``I``::

    L_s = mean |∂x d̂| · exp(−mean_c |∂x I|)
        + mean |∂y d̂| · exp(−mean_c |∂y I|)

with forward differences ``∂x f = f[:, :, :, 1:] − f[:, :, :, :−1]`` (and
rows for ``∂y``); each mean runs over every term of its difference map.
SC-Depth applies it to the predicted *depth* of the target frame (its
``compute_smooth_loss(tgt_depth, tgt_img)``; the inner function names the
argument ``disp``, but depth is what it receives). kornia's
``inverse_depth_smoothness_loss`` has no mean normalisation, hence this
version.
"""
import torch
from torch import Tensor

#: Added to the mean before dividing (SC-Depth's constant).
NORM_EPS = 1e-7


def edge_aware_smoothness(depth: Tensor, image: Tensor) -> Tensor:
    """``L_s`` of the module docstring.

    Args:
        depth (Tensor): (B, 1, H, W) depth (or any positive map).
        image (Tensor): (B, C, H, W) image giving the edges.

    Returns:
        Tensor: scalar.

    Example:
        >>> depth = torch.ones(1, 1, 4, 4)
        >>> float(edge_aware_smoothness(depth, torch.rand(1, 3, 4, 4)))
        0.0
    """
    for name, value in (('depth', depth), ('image', image)):
        if not isinstance(value, Tensor) or value.dim() != 4:
            raise ValueError(f'edge_aware_smoothness: {name} must be a '
                             f'(B, C, H, W) Tensor, got '
                             f'{getattr(value, "shape", value)}')
    if depth.shape[0] != image.shape[0] or \
            depth.shape[2:] != image.shape[2:]:
        raise ValueError(f'edge_aware_smoothness: depth {tuple(depth.shape)} '
                         f'and image {tuple(image.shape)} disagree in batch '
                         f'or size')
    if min(depth.shape[2:]) < 2:
        raise ValueError(f'edge_aware_smoothness: needs H, W >= 2, got '
                         f'{tuple(depth.shape[2:])}')
    depth = depth / (depth.mean(dim=(2, 3), keepdim=True) + NORM_EPS)
    terms = []
    for dim in (3, 2):
        size = depth.shape[dim]
        grad_depth = (depth.narrow(dim, 1, size - 1) -
                      depth.narrow(dim, 0, size - 1)).abs()
        grad_image = (image.narrow(dim, 1, size - 1) -
                      image.narrow(dim, 0, size - 1)).abs().mean(
                          dim=1, keepdim=True)
        terms.append((grad_depth * torch.exp(-grad_image)).mean())
    return terms[0] + terms[1]

"""Relative log amplitude of feature maps along the frequency diagonal.

After Park & Kim (2022, "How do vision transformers work?"): for token maps
``x_bc`` (h × h) of one layer (CLS token dropped, tokens laid out as
B × C × h × w with ``h = w``)::

    F_bc(u, v)  = FFT2(x_bc)(u, v)
    log A(u, v) = mean_{b, c} log(|F_bc(u, v)| + 1e-6)     (DC moved to the
                                                            centre, fftshift)
    ΔLog A(ω_k) = log A(k, k) − log A(0, 0),   ω_k = 2πk / h,
                  k = 0, 1, …, ⌈h/2⌉ − 1

the half diagonal from DC outwards (``ΔLog A(0) = 0``); its last point,
``ω = π(1 − 2/h)`` for even ``h`` (``π(1 − 1/h)`` for odd), is the highest
frequency on the diagonal, and the layer's "ΔLog amplitude" is the value
there. Each point is a mean over images of a per-image quantity, so the
results of batches averaged with weights ``B_b / Σ B_b`` equal the result of
all images in one batch. Computed in float64.

    >>> feats = torch.ones(2, 3, 4, 4)              # constant maps: DC only
    >>> fourier_delta_log_amplitude(feats)
    tensor([  0.0000, -16.5881], dtype=torch.float64)
    >>> half_diagonal_frequencies(4)                # in units of π
    tensor([0.0000, 0.5000], dtype=torch.float64)
"""
import torch
from torch import Tensor

AMPLITUDE_FLOOR = 1e-6  # added to |FFT2| before the log, as in Park & Kim


def _num_points(size: int) -> int:
    """Points on the half diagonal from the centre of an fftshift: ⌈h/2⌉."""
    return size - size // 2


def half_diagonal_frequencies(size: int) -> Tensor:
    """Frequencies ``ω_k / π = 2k / h``, ``k = 0 … ⌈h/2⌉ − 1``.

    Args:
        size (int): The side ``h`` of the square token map.

    Returns:
        Tensor: (⌈h/2⌉,) float64, from 0 to ``1 − 2/h`` (even ``h``).
    """
    if not isinstance(size, int) or size < 1:
        raise ValueError(f'size must be a positive int, got {size}')
    k = torch.arange(_num_points(size), dtype=torch.float64)
    return 2 * k / size


def fourier_delta_log_amplitude(feats: Tensor) -> Tensor:
    """ΔLog amplitude along the half diagonal, DC first (see module doc).

    Args:
        feats (Tensor): (B, C, h, h) real feature maps.

    Returns:
        Tensor: (⌈h/2⌉,) float64, ``[0, ΔLog A(ω_1), …]``, at the
        frequencies of :func:`half_diagonal_frequencies`.
    """
    if not isinstance(feats, Tensor):
        raise TypeError(f'feats must be a torch.Tensor, got {type(feats)}')
    if feats.ndim != 4:
        raise ValueError(f'feats must have shape (B, C, h, w), got '
                         f'{tuple(feats.shape)}')
    b, c, h, w = feats.shape
    if h != w:
        raise ValueError(f'feats must hold square token maps, got h={h}, '
                         f'w={w}')
    if b == 0 or c == 0:
        raise ValueError(f'feats holds no maps: {tuple(feats.shape)}')
    if feats.is_complex():
        raise ValueError('feats must be real')
    spectrum = torch.fft.fft2(feats.detach().to(torch.float64))
    log_amp = torch.log(spectrum.abs() + AMPLITUDE_FLOOR)
    log_amp = torch.fft.fftshift(log_amp, dim=(-2, -1)).mean((0, 1))
    diagonal = log_amp.diagonal()[h // 2:]
    return diagonal - diagonal[0]

import doctest

import numpy as np
import pytest
import torch

from sgmim.analysis import fourier
from sgmim.analysis.fourier import (fourier_delta_log_amplitude,
                                    half_diagonal_frequencies)

FLOOR = 1e-6


def numpy_delta_log_amplitude(feats):
    """numpy.fft, then an explicit walk along the diagonal from DC."""
    h = feats.shape[-1]
    log_amp = np.log(np.abs(np.fft.fft2(feats)) + FLOOR)
    log_amp = np.fft.fftshift(log_amp, axes=(-2, -1)).mean((0, 1))
    centre = h // 2
    return np.array([log_amp[centre + k, centre + k] - log_amp[centre, centre]
                     for k in range(h - centre)])


def test_docstring_examples():
    assert doctest.testmod(fourier).failed == 0


@pytest.mark.parametrize('h', [6, 7])
def test_matches_numpy_fft(h):
    feats = np.random.default_rng(h).normal(size=(3, 4, h, h))
    result = fourier_delta_log_amplitude(torch.tensor(feats,
                                                      dtype=torch.float32))
    assert result.dtype == torch.float64
    assert result.shape == (len(half_diagonal_frequencies(h)), )
    np.testing.assert_allclose(result.numpy(),
                               numpy_delta_log_amplitude(feats), rtol=1e-5,
                               atol=1e-5)
    assert result[0] == 0


def test_diagonal_cosine_closed_form():
    # x = a + b·cos(2π f (m + n) / h): |FFT2| is a·h² at DC, b·h²/2 at
    # ±(f, f), 0 elsewhere (the 1e-6 floor only).
    h, f = 8, 2
    m, n = np.meshgrid(np.arange(h), np.arange(h), indexing='ij')
    wave = np.cos(2 * np.pi * f * (m + n) / h)
    offsets, amplitudes = np.array([1., 3.]), np.array([2., 0.5])
    feats = offsets[:, None, None] + amplitudes[:, None, None] * wave
    feats = np.stack([feats, feats])  # B = 2, C = 2
    dc = np.mean(np.log(offsets * h * h + FLOOR))
    expected = np.full(h // 2, np.log(FLOOR) - dc)
    expected[0] = 0
    expected[f] = np.mean(np.log(amplitudes * h * h / 2 + FLOOR)) - dc
    result = fourier_delta_log_amplitude(torch.tensor(feats))
    np.testing.assert_allclose(result.numpy(), expected, atol=1e-5)


def test_constant_map_only_floor():
    h, c = 6, 2.5
    result = fourier_delta_log_amplitude(torch.full((2, 3, h, h), c))
    expected = np.log(FLOOR) - np.log(c * h * h + FLOOR)
    np.testing.assert_allclose(result[1:].numpy(), expected, rtol=1e-10)
    assert result[0] == 0


def test_batch_weighted_average_equals_full_batch():
    feats = torch.randn(5, 3, 8, 8)
    parts = [feats[:2], feats[2:]]
    weighted = sum(len(p) * fourier_delta_log_amplitude(p)
                   for p in parts) / len(feats)
    torch.testing.assert_close(weighted, fourier_delta_log_amplitude(feats))


@pytest.mark.parametrize('size,last', [(8, 1 - 2 / 8), (14, 1 - 2 / 14),
                                       (7, 1 - 1 / 7)])
def test_half_diagonal_frequencies(size, last):
    freqs = half_diagonal_frequencies(size)
    assert len(freqs) == size - size // 2
    assert freqs[0] == 0
    assert freqs[-1].item() == pytest.approx(last)
    np.testing.assert_allclose(np.diff(freqs.numpy()), 2 / size)


def test_errors():
    with pytest.raises(ValueError, match='square token maps, got h=4, w=6'):
        fourier_delta_log_amplitude(torch.randn(1, 2, 4, 6))
    with pytest.raises(ValueError, match=r'feats must have shape'):
        fourier_delta_log_amplitude(torch.randn(2, 4, 4))
    with pytest.raises(ValueError, match='feats must be real'):
        fourier_delta_log_amplitude(torch.randn(1, 1, 4, 4,
                                                dtype=torch.complex64))
    with pytest.raises(ValueError, match='size'):
        half_diagonal_frequencies(0)

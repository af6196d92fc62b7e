import doctest

import numpy as np
import pytest
import torch

from sgmim.analysis import spectrum
from sgmim.analysis.spectrum import (CovarianceAccumulator, log_spectrum_gap,
                                     singular_value_spectrum)


def numpy_spectrum(z):
    centred = z - z.mean(0)
    covariance = centred.T @ centred / len(z)
    return np.linalg.svd(covariance, compute_uv=False)


def test_docstring_examples():
    assert doctest.testmod(spectrum).failed == 0


@pytest.mark.parametrize('n,d', [(50, 6), (5, 12)])  # full rank, rank N − 1
def test_spectrum_matches_numpy_svd(n, d):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(n, d)) * rng.uniform(0.1, 3, size=d) + 4
    result = singular_value_spectrum(torch.tensor(z, dtype=torch.float32))
    assert result.shape == (d,) and result.dtype == torch.float64
    assert (result[:-1] >= result[1:]).all()
    np.testing.assert_allclose(result.numpy(), numpy_spectrum(z), rtol=1e-5,
                               atol=1e-6)


def test_known_spectrum_recovered():
    # Centred orthonormal columns U (N × D) scaled by s and rotated by a
    # random orthogonal R: C = (1/N) R diag(s²) Rᵀ, spectrum s²/N.
    rng = np.random.default_rng(1)
    n, d = 40, 5
    s = np.array([9., 5., 2., 1., 0.5])
    g = rng.normal(size=(n, d))
    u, _ = np.linalg.qr(g - g.mean(0))  # columns orthonormal and centred
    assert np.allclose(u.mean(0), 0)
    r, _ = np.linalg.qr(rng.normal(size=(d, d)))
    z = u @ np.diag(s) @ r.T + rng.normal(size=d)  # any offset
    np.testing.assert_allclose(singular_value_spectrum(torch.tensor(z)),
                               s**2 / n, rtol=1e-10)


def test_accumulator_equals_one_shot():
    rng = np.random.default_rng(2)
    z = rng.normal(size=(37, 4)) * [1., 2., 0.5, 3.] + 1e4  # far from 0
    acc = CovarianceAccumulator(4)
    for start, stop in ((0, 1), (1, 9), (9, 10), (10, 37)):
        acc.update(torch.tensor(z[start:stop], dtype=torch.float64))
    np.testing.assert_allclose(acc.compute().numpy(), numpy_spectrum(z),
                               rtol=1e-9)
    torch.testing.assert_close(acc.compute(),
                               singular_value_spectrum(torch.tensor(z)))
    assert acc.count == 37


def test_accumulator_errors():
    acc = CovarianceAccumulator(3)
    with pytest.raises(RuntimeError, match='at least 2'):
        acc.compute()
    with pytest.raises(ValueError, match='3 features'):
        acc.update(torch.randn(4, 2))
    with pytest.raises(ValueError, match=r'feats must have shape \(N, D\)'):
        acc.update(torch.randn(4, 3, 1))
    with pytest.raises(ValueError, match='no embeddings'):
        acc.update(torch.randn(0, 3))
    with pytest.raises(ValueError, match='dim'):
        CovarianceAccumulator(0)
    with pytest.raises(ValueError, match='at least 2'):
        singular_value_spectrum(torch.randn(1, 3))


def test_log_spectrum_gap():
    model = torch.tensor([4., 1., 1e-20, 0.])
    reference = torch.tensor([2., 1., 1e-3, 0.])
    expected = [np.log(2), 0., np.log(1e-12) - np.log(1e-3), 0.]
    np.testing.assert_allclose(log_spectrum_gap(model, reference).numpy(),
                               expected, atol=1e-6)
    np.testing.assert_allclose(
        log_spectrum_gap(model, reference, eps=1e-4).numpy(),
        [np.log(2), 0., np.log(1e-4) - np.log(1e-3), 0.], atol=1e-6)
    with pytest.raises(ValueError, match='same length'):
        log_spectrum_gap(model, reference[:3])
    with pytest.raises(ValueError, match='reference must be a 1-D'):
        log_spectrum_gap(model, reference[None])
    with pytest.raises(ValueError, match='spectrum holds negative'):
        log_spectrum_gap(-model, reference)
    with pytest.raises(ValueError, match='eps'):
        log_spectrum_gap(model, reference, eps=0)

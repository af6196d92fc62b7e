import doctest
import itertools

import numpy as np
import pytest
import torch

from sgmim.analysis import cka
from sgmim.analysis.cka import MinibatchCKA, linear_cka, unbiased_hsic


def numpy_hsic(k, l):  # noqa: E741
    """Biased HSIC tr(K H L H) / (n − 1)² with H = I − 11ᵀ/n."""
    n = k.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    return np.trace(k @ h @ l @ h) / (n - 1)**2


def numpy_cka(x, y):
    x = x.reshape(len(x), -1)
    y = y.reshape(len(y), -1)
    k, l = x @ x.T, y @ y.T  # noqa: E741
    return numpy_hsic(k, l) / np.sqrt(numpy_hsic(k, k) * numpy_hsic(l, l))


def brute_force_unbiased_hsic(k, l):  # noqa: E741
    """Song et al. (2012) U-statistic over ordered distinct (i, j, q, r)."""
    n = k.shape[0]
    total = 0.0
    for i, j, q, r in itertools.permutations(range(n), 4):
        total += k[i, j] * l[i, j] + k[i, j] * l[q, r] - 2 * k[i, j] * l[i, q]
    return total / (n * (n - 1) * (n - 2) * (n - 3))


def song_unbiased_hsic(k, l):  # noqa: E741
    """Nguyen et al. (2021) Eq. 3 in NumPy."""
    n = k.shape[0]
    kt, lt = k - np.diag(np.diag(k)), l - np.diag(np.diag(l))
    one = np.ones(n)
    value = (np.trace(kt @ lt) + (one @ kt @ one) * (one @ lt @ one) /
             ((n - 1) * (n - 2)) - 2 / (n - 2) * one @ kt @ lt @ one)
    return value / (n * (n - 3))


def unbiased_cka(x, y):
    x, y = x.reshape(len(x), -1), y.reshape(len(y), -1)
    k, l = x @ x.T, y @ y.T  # noqa: E741
    return song_unbiased_hsic(k, l) / np.sqrt(
        song_unbiased_hsic(k, k) * song_unbiased_hsic(l, l))


def test_docstring_examples():
    assert doctest.testmod(cka).failed == 0


@pytest.mark.parametrize('n,p,q', [(40, 3, 5), (10, 50, 30)])
def test_linear_cka_matches_numpy(n, p, q):
    # (40, 3, 5): p×q feature form; (10, 50, 30): n×n Gram form.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, p))
    y = np.tanh(x @ rng.normal(size=(p, q))) + 0.3 * rng.normal(size=(n, q))
    expected = numpy_cka(x, y)
    result = linear_cka(torch.tensor(x, dtype=torch.float32),
                        torch.tensor(y, dtype=torch.float32))
    assert result.dtype == torch.float64
    assert 0.05 < expected < 0.95
    np.testing.assert_allclose(result.item(), expected, rtol=1e-5)


def test_linear_cka_flattens_each_example():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(12, 3, 4)), rng.normal(size=(12, 2, 2, 2))
    np.testing.assert_allclose(
        linear_cka(torch.tensor(x), torch.tensor(y)).item(),
        numpy_cka(x, y), rtol=1e-10)


def test_linear_cka_properties():
    torch.manual_seed(0)
    x = torch.randn(30, 6, dtype=torch.float64)
    y = torch.randn(30, 4, dtype=torch.float64) + x[:, :4]
    q, _ = torch.linalg.qr(torch.randn(6, 6, dtype=torch.float64))
    base = linear_cka(x, y)
    assert linear_cka(x, x).item() == pytest.approx(1, abs=1e-12)
    assert linear_cka(x @ q, y).item() == pytest.approx(base.item(), 1e-10)
    assert linear_cka(7.5 * x, 0.2 * y).item() == pytest.approx(
        base.item(), 1e-10)
    # A non-isotropic scaling changes it.
    scale = torch.tensor([20., 1., 1., 1., 1., 1.], dtype=torch.float64)
    stretched = linear_cka(x * scale, y).item()
    assert abs(stretched - base.item()) > 0.1
    assert linear_cka(x, x * scale).item() < 0.9
    np.testing.assert_allclose(stretched,
                               numpy_cka((x * scale).numpy(), y.numpy()))


def test_linear_cka_errors():
    with pytest.raises(ValueError, match='same number of examples'):
        linear_cka(torch.randn(5, 3), torch.randn(6, 3))
    with pytest.raises(ValueError, match='x must have shape'):
        linear_cka(torch.randn(5), torch.randn(5, 3))
    with pytest.raises(ValueError, match='y is constant'):
        linear_cka(torch.randn(5, 3), torch.ones(5, 3))


def test_unbiased_hsic_matches_brute_force_and_song_formula():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(7, 3)), rng.normal(size=(7, 5))
    y[:, 0] += 2 * x[:, 0]
    k, l = x @ x.T, y @ y.T  # noqa: E741
    expected = brute_force_unbiased_hsic(k, l)
    np.testing.assert_allclose(song_unbiased_hsic(k, l), expected)
    result = unbiased_hsic(torch.tensor(k), torch.tensor(l))
    assert result.dtype == torch.float64
    np.testing.assert_allclose(result.item(), expected, rtol=1e-10)
    # The diagonal of the inputs does not enter.
    k_diag = k + np.diag(rng.normal(size=7))
    np.testing.assert_allclose(
        unbiased_hsic(torch.tensor(k_diag), torch.tensor(l)).item(), expected,
        rtol=1e-10)


def test_unbiased_hsic_errors():
    with pytest.raises(ValueError, match='at least 4 examples'):
        unbiased_hsic(torch.eye(3), torch.eye(3))
    with pytest.raises(ValueError, match='k must be a square'):
        unbiased_hsic(torch.ones(4, 5), torch.eye(4))
    with pytest.raises(ValueError, match='same shape'):
        unbiased_hsic(torch.eye(5), torch.eye(4))


def test_minibatch_single_batch_equals_unbiased_formula():
    rng = np.random.default_rng(3)
    xs = [rng.normal(size=(9, 4)), rng.normal(size=(9, 2, 3))]
    ys = [rng.normal(size=(9, 5)) + xs[0] @ rng.normal(size=(4, 5)),
          rng.normal(size=(9, 3)), rng.normal(size=(9, 2))]
    acc = MinibatchCKA(2, 3)
    acc.update([torch.tensor(x) for x in xs], [torch.tensor(y) for y in ys])
    result = acc.compute()
    assert result.shape == (2, 3) and result.dtype == torch.float64
    expected = [[unbiased_cka(x, y) for y in ys] for x in xs]
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-10)


def test_minibatch_converges_to_full_batch_cka():
    rng = np.random.default_rng(0)
    num = 1024
    x = rng.normal(size=(num, 4))
    y = np.tanh(x @ rng.normal(size=(4, 4))) + 0.5 * rng.normal(size=(num, 4))
    full = numpy_cka(x, y)

    def mean_error(batch_size):
        errors = []
        for seed in range(4):  # several partitions of the same data
            order = np.random.default_rng(seed).permutation(num)
            xt, yt = torch.tensor(x[order]), torch.tensor(y[order])
            acc = MinibatchCKA(1, 1)
            for start in range(0, num, batch_size):
                stop = start + batch_size
                acc.update([xt[start:stop]], [yt[start:stop]])
            errors.append(abs(acc.compute().item() - full))
        return np.mean(errors)

    small, large = mean_error(8), mean_error(256)
    assert large < 3e-3
    assert large * 4 < small


def test_minibatch_within_model_symmetric_unit_diagonal():
    torch.manual_seed(4)
    acc = MinibatchCKA(3)
    for _ in range(3):
        x = torch.randn(8, 5)
        acc.update([x, torch.relu(x @ torch.randn(5, 6)), torch.randn(8, 2)])
    result = acc.compute()
    assert result.shape == (3, 3)
    torch.testing.assert_close(result, result.T, rtol=0, atol=0)
    torch.testing.assert_close(result.diagonal(),
                               torch.ones(3, dtype=torch.float64))
    # Within-model equals passing the same features as ys.
    torch.manual_seed(4)
    cross = MinibatchCKA(3, 3)
    for _ in range(3):
        x = torch.randn(8, 5)
        feats = [x, torch.relu(x @ torch.randn(5, 6)), torch.randn(8, 2)]
        cross.update(feats, feats)
    torch.testing.assert_close(cross.compute(), result)


def test_minibatch_errors():
    acc = MinibatchCKA(2, 1)
    with pytest.raises(RuntimeError, match='before any update'):
        acc.compute()
    with pytest.raises(ValueError, match='at least 4 examples'):
        acc.update([torch.randn(3, 2)] * 2, [torch.randn(3, 2)])
    with pytest.raises(ValueError, match='xs and ys must hold the same'):
        acc.update([torch.randn(5, 2)] * 2, [torch.randn(6, 2)])
    with pytest.raises(ValueError, match=r'xs\[0\] has 5, xs\[1\] has 6'):
        acc.update([torch.randn(5, 2), torch.randn(6, 2)], [torch.randn(5, 2)])
    with pytest.raises(ValueError, match='xs must hold 2 layers'):
        acc.update([torch.randn(5, 2)], [torch.randn(5, 2)])
    with pytest.raises(ValueError, match='ys is needed'):
        acc.update([torch.randn(5, 2)] * 2)
    with pytest.raises(ValueError, match='num_x_layers'):
        MinibatchCKA(0)
    acc.update([torch.randn(5, 2), torch.ones(5, 2)], [torch.randn(5, 2)])
    with pytest.raises(ValueError, match=r'xs layers \[1\]'):
        acc.compute()


def test_minibatch_invariant_to_feature_offset():
    # HSIC₁ of linear kernels ignores a translation of the features (the
    # accumulator centres each batch); checked against the uncentred formula.
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    shifted = x + np.array([50., -20., 3.])
    acc = MinibatchCKA(1, 1)
    acc.update([torch.tensor(shifted)], [torch.tensor(y)])
    np.testing.assert_allclose(acc.compute().item(), unbiased_cka(shifted, y),
                               rtol=1e-8)
    np.testing.assert_allclose(acc.compute().item(), unbiased_cka(x, y),
                               rtol=1e-8)

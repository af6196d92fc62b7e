"""Singular-value spectrum of the embedding covariance (LUT §6.2.3).

For ``N`` embeddings ``z_k`` (D,) of one layer (by default each image's mean
patch token), after DirectCLR::

    z̄ = (1/N) Σ_k z_k
    C  = (1/N) Σ_k (z_k − z̄)(z_k − z̄)ᵀ                    (D × D)
    σ_1 ≥ σ_2 ≥ … ≥ σ_D   the singular values of C

The D × D covariance has the same nonzero spectrum as the N × N Gram matrix
of the centred embeddings. Two models are compared by the log gap
``log σ_i − log σ_i^ref``. Everything is computed in float64.

    >>> z = torch.tensor([[1., 0.], [-1., 0.], [0., 2.], [0., -2.]])
    >>> singular_value_spectrum(z)
    tensor([2.0000, 0.5000], dtype=torch.float64)
"""
import torch
from torch import Tensor


def _check_feats(feats: Tensor, name: str = 'feats') -> Tensor:
    if not isinstance(feats, Tensor):
        raise TypeError(f'{name} must be a torch.Tensor, got {type(feats)}')
    if feats.ndim != 2:
        raise ValueError(f'{name} must have shape (N, D), got '
                         f'{tuple(feats.shape)}')
    return feats.detach().to(torch.float64)


def _spectrum(covariance: Tensor) -> Tensor:
    """Descending singular values of a symmetric D × D matrix."""
    return torch.linalg.svdvals(covariance)


def singular_value_spectrum(feats: Tensor) -> Tensor:
    """Singular values of ``C = (1/N) Σ (z − z̄)(z − z̄)ᵀ``, descending.

    Args:
        feats (Tensor): (N, D) embeddings, ``N ≥ 2``.

    Returns:
        Tensor: (D,) float64.
    """
    z = _check_feats(feats)
    if z.shape[0] < 2:
        raise ValueError(f'feats needs at least 2 embeddings, got '
                         f'{z.shape[0]}')
    z = z - z.mean(0)
    return _spectrum(z.T @ z / z.shape[0])


class CovarianceAccumulator:
    """Streaming :func:`singular_value_spectrum` in O(D²) memory.

    Keeps the count ``N``, the running mean ``z̄`` and the centred scatter
    ``S = Σ_k (z_k − z̄)(z_k − z̄)ᵀ`` (float64); a batch with count ``n_b``,
    mean ``m_b`` and scatter ``S_b`` is merged exactly (Chan et al.)::

        δ = m_b − z̄,   N' = N + n_b
        z̄ ← z̄ + δ · n_b / N'
        S ← S + S_b + δ δᵀ · N n_b / N'

    which avoids the cancellation of ``Σ zzᵀ/N − z̄ z̄ᵀ`` for embeddings
    far from the origin. :meth:`compute` returns the spectrum of ``S / N``,
    equal to :func:`singular_value_spectrum` of all batches stacked.

    Args:
        dim (int): The embedding size ``D``.

        >>> acc = CovarianceAccumulator(2)
        >>> z = torch.randn(10, 2)
        >>> acc.update(z[:3]); acc.update(z[3:])
        >>> torch.allclose(acc.compute(), singular_value_spectrum(z))
        True
    """

    def __init__(self, dim: int):
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f'dim must be a positive int, got {dim}')
        self.dim = dim
        self.count = 0
        self.mean = torch.zeros(dim, dtype=torch.float64)
        self.scatter = torch.zeros(dim, dim, dtype=torch.float64)

    def update(self, feats: Tensor) -> None:
        """Add a batch of (n, D) embeddings."""
        z = _check_feats(feats).cpu()
        if z.shape[1] != self.dim:
            raise ValueError(f'feats must have {self.dim} features, got '
                             f'{z.shape[1]}')
        n = z.shape[0]
        if n == 0:
            raise ValueError('feats holds no embeddings')
        batch_mean = z.mean(0)
        centred = z - batch_mean
        delta = batch_mean - self.mean
        total = self.count + n
        self.mean += delta * (n / total)
        self.scatter += centred.T @ centred + torch.outer(
            delta, delta) * (self.count * n / total)
        self.count = total

    def compute(self) -> Tensor:
        """(D,) float64 spectrum of the covariance of all embeddings seen."""
        if self.count < 2:
            raise RuntimeError(f'CovarianceAccumulator needs at least 2 '
                               f'embeddings, has {self.count}')
        return _spectrum(self.scatter / self.count)


def log_spectrum_gap(spectrum: Tensor, reference: Tensor,
                     eps: float = 1e-12) -> Tensor:
    """``log max(σ_i, eps) − log max(σ_i^ref, eps)``, elementwise.

    Singular values below ``eps`` (the numerical zeros of a rank-deficient
    covariance, e.g. ``D > N``) are clamped to it, so a direction that is
    null in both models gives a gap of 0 instead of ``nan``.

    Args:
        spectrum (Tensor): (D,) singular values of the model.
        reference (Tensor): (D,) singular values of the reference model.
        eps (float): Absolute floor. Defaults to 1e-12.

    Returns:
        Tensor: (D,) float64; negative where the model's spectrum is lower.

        >>> log_spectrum_gap(torch.tensor([1., 0.]), torch.tensor([1., 1.]))
        tensor([  0.0000, -27.6310], dtype=torch.float64)
    """
    values = []
    for s, name in ((spectrum, 'spectrum'), (reference, 'reference')):
        if not isinstance(s, Tensor) or s.ndim != 1:
            raise ValueError(f'{name} must be a 1-D tensor of singular '
                             f'values, got {getattr(s, "shape", type(s))}')
        if (s < 0).any():
            raise ValueError(f'{name} holds negative singular values')
        values.append(s.detach().to(torch.float64))
    if spectrum.shape != reference.shape:
        raise ValueError(f'spectrum and reference must have the same length, '
                         f'got {spectrum.shape[0]} and {reference.shape[0]}')
    if not eps > 0:
        raise ValueError(f'eps must be positive, got {eps}')
    model, ref = (v.clamp_min(eps).log() for v in values)
    return model - ref

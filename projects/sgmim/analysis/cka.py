"""Linear centred kernel alignment (CKA) between layer representations.

For the features ``X`` (n, p) and ``Y`` (n, q) of the same ``n`` examples
(each example's features flattened), with linear Gram matrices
``K = X Xᵀ`` and ``L = Y Yᵀ``::

    CKA(K, L) = HSIC(K, L) / sqrt( HSIC(K, K) · HSIC(L, L) )

Full batch (Kornblith et al. 2019), with the biased HSIC and the centring
matrix ``H = I − 11ᵀ/n`` (``Xᶜ = H X``, ``Yᶜ = H Y``)::

    HSIC₀(K, L) = tr(K H L H) / (n − 1)²
    CKA = ‖Yᶜᵀ Xᶜ‖²_F / ( ‖Xᶜᵀ Xᶜ‖_F · ‖Yᶜᵀ Yᶜ‖_F )

Minibatch (Nguyen, Raghu, Kornblith 2021, Eq. 3): per batch of ``n ≥ 4``
examples the unbiased estimator, with ``K̃``, ``L̃`` the Gram matrices with
their diagonal set to zero::

    HSIC₁(K, L) = [ tr(K̃ L̃) + (1ᵀK̃1)(1ᵀL̃1) / ((n − 1)(n − 2))
                    − (2 / (n − 2)) · 1ᵀ K̃ L̃ 1 ] / ( n (n − 3) )

    CKA = mean_b HSIC₁(K_b, L_b)
          / sqrt( mean_b HSIC₁(K_b, K_b) · mean_b HSIC₁(L_b, L_b) )

Everything is computed in float64.

    >>> import torch
    >>> x = torch.randn(32, 8, dtype=torch.float64)
    >>> q, _ = torch.linalg.qr(torch.randn(8, 8, dtype=torch.float64))
    >>> round(linear_cka(x, 3 * x @ q).item(), 6)  # rotation and scale
    1.0
"""
from typing import Optional, Sequence

import torch
from torch import Tensor


def _flatten(x: Tensor, name: str) -> Tensor:
    """``x`` (n, ...) as float64 (n, features), one row per example."""
    if not isinstance(x, Tensor):
        raise TypeError(f'{name} must be a torch.Tensor, got {type(x)}')
    if x.ndim < 2:
        raise ValueError(f'{name} must have shape (n, ...) with at least one '
                         f'feature dimension, got {tuple(x.shape)}')
    return x.detach().reshape(x.shape[0], -1).to(torch.float64)


def linear_cka(x: Tensor, y: Tensor) -> Tensor:
    """Full-batch linear CKA with the biased HSIC (Kornblith et al. 2019).

    ::

        CKA = ‖Yᶜᵀ Xᶜ‖²_F / ( ‖Xᶜᵀ Xᶜ‖_F · ‖Yᶜᵀ Yᶜ‖_F ),
        Xᶜ = (I − 11ᵀ/n) X,  Yᶜ = (I − 11ᵀ/n) Y

    Each Frobenius norm is taken in whichever form is smaller: as written
    (p × q matrices) or through the centred Gram matrices (n × n), using
    ``‖Yᶜᵀ Xᶜ‖²_F = tr(Kᶜ Lᶜ)`` with ``Kᶜ = Xᶜ Xᶜᵀ``.

    Args:
        x (Tensor): (n, ...) features of ``n`` examples, flattened per
            example.
        y (Tensor): (n, ...) features of the same examples.

    Returns:
        Tensor: float64 scalar in [0, 1].

    Raises:
        ValueError: shapes that do not match, ``n < 2``, or features
            constant over the examples (CKA undefined).

        >>> x = torch.arange(12.).reshape(4, 3) ** 2
        >>> round(linear_cka(x, x).item(), 6)
        1.0
    """
    x, y = _flatten(x, 'x'), _flatten(y, 'y')
    n = x.shape[0]
    if y.shape[0] != n:
        raise ValueError(f'x and y must hold the same number of examples, '
                         f'got {n} and {y.shape[0]}')
    if n < 2:
        raise ValueError(f'x needs at least 2 examples, got {n}')
    x = x - x.mean(0)
    y = y - y.mean(0)
    use_gram = n * n <= x.shape[1] * y.shape[1]
    if use_gram:
        k, l = x @ x.T, y @ y.T
        cross = (k * l).sum()
        norm_x, norm_y = torch.linalg.norm(k), torch.linalg.norm(l)
    else:
        cross = (y.T @ x).square().sum()
        norm_x = torch.linalg.norm(x.T @ x)
        norm_y = torch.linalg.norm(y.T @ y)
    for norm, name in ((norm_x, 'x'), (norm_y, 'y')):
        if norm == 0:
            raise ValueError(f'{name} is constant over the examples: '
                             f'CKA is undefined')
    return cross / (norm_x * norm_y)


def _pairwise_unbiased_hsic(ks: Tensor, ls: Tensor) -> Tensor:
    """HSIC₁ of every pair: ks (A, n, n), ls (B, n, n) -> (A, B).

    The stacks must already have a zero diagonal (``K̃``, ``L̃``).
    """
    n = ks.shape[-1]
    trace = torch.einsum('anm,bmn->ab', ks, ls)          # tr(K̃ L̃)
    sum_k = ks.sum((-2, -1))                              # 1ᵀK̃1
    sum_l = ls.sum((-2, -1))                              # 1ᵀL̃1
    middle = torch.einsum('am,bm->ab', ks.sum(-2), ls.sum(-1))  # 1ᵀK̃L̃1
    hsic = (trace + torch.outer(sum_k, sum_l) / ((n - 1) * (n - 2)) -
            2 / (n - 2) * middle)
    return hsic / (n * (n - 3))


def _self_unbiased_hsic(ks: Tensor) -> Tensor:
    """HSIC₁(K_a, K_a) of each matrix of the stack: (A, n, n) -> (A,)."""
    return torch.stack([_pairwise_unbiased_hsic(k[None], k[None])[0, 0]
                        for k in ks])


def _zero_diagonal(grams: Tensor) -> Tensor:
    return grams * (1 - torch.eye(grams.shape[-1], dtype=grams.dtype,
                                  device=grams.device))


def unbiased_hsic(k: Tensor, l: Tensor) -> Tensor:  # noqa: E741
    """Unbiased HSIC₁ of two Gram matrices (Nguyen et al. 2021, Eq. 3).

    ::

        HSIC₁(K, L) = [ tr(K̃ L̃) + (1ᵀK̃1)(1ᵀL̃1) / ((n − 1)(n − 2))
                        − (2 / (n − 2)) · 1ᵀ K̃ L̃ 1 ] / ( n (n − 3) )

    with ``K̃``, ``L̃`` equal to ``K``, ``L`` off the diagonal and zero on
    it (the diagonal of the inputs is ignored).

    Args:
        k (Tensor): (n, n) Gram matrix, ``n ≥ 4``.
        l (Tensor): (n, n) Gram matrix of the same examples.

    Returns:
        Tensor: float64 scalar.

        >>> x = torch.arange(5.)[:, None]      # 1-D: estimates Var(x)²
        >>> k = x @ x.T
        >>> round(unbiased_hsic(k, k).item(), 4)
        5.1667
    """
    for gram, name in ((k, 'k'), (l, 'l')):
        if gram.ndim != 2 or gram.shape[0] != gram.shape[1]:
            raise ValueError(f'{name} must be a square (n, n) Gram matrix, '
                             f'got {tuple(gram.shape)}')
    if k.shape != l.shape:
        raise ValueError(f'k and l must have the same shape, got '
                         f'{tuple(k.shape)} and {tuple(l.shape)}')
    _check_batch_size(k.shape[0], 'k')
    ks = _zero_diagonal(k.detach().to(torch.float64)[None])
    ls = _zero_diagonal(l.detach().to(torch.float64)[None])
    return _pairwise_unbiased_hsic(ks, ls)[0, 0]


def _check_batch_size(n: int, name: str) -> None:
    if n < 4:
        raise ValueError(f'the unbiased HSIC estimator needs at least 4 '
                         f'examples per batch, {name} has {n}')


class MinibatchCKA:
    """Layer-by-layer linear CKA accumulated over minibatches.

    Keeps only the running sums (float64) of ``HSIC₁(K_i, L_j)`` (Lx, Ly),
    ``HSIC₁(K_i, K_i)`` (Lx,), ``HSIC₁(L_j, L_j)`` (Ly,) and the number of
    batches; :meth:`compute` returns::

        CKA_ij = mean_b HSIC₁(K_i, L_j)
                 / sqrt( mean_b HSIC₁(K_i, K_i) · mean_b HSIC₁(L_j, L_j) )

    The batch mean is unweighted, as in Nguyen et al. (2021), who use
    batches of one size (drop the last, incomplete one).

    Args:
        num_x_layers (int): Number of layers ``Lx`` of the first model.
        num_y_layers (int, optional): Number of layers ``Ly`` of the second
            model. Defaults to ``num_x_layers``.

        >>> cka = MinibatchCKA(2)
        >>> for _ in range(3):
        ...     x = torch.randn(16, 5)
        ...     cka.update([x, 2 * x])         # within-model: ys = xs
        >>> result = cka.compute()                  # (2, 2): x and 2x agree
        >>> torch.allclose(result, torch.ones_like(result))
        True
    """

    def __init__(self, num_x_layers: int, num_y_layers: Optional[int] = None):
        if num_y_layers is None:
            num_y_layers = num_x_layers
        for value, name in ((num_x_layers, 'num_x_layers'),
                            (num_y_layers, 'num_y_layers')):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'{name} must be a positive int, got {value}')
        self.num_x_layers = num_x_layers
        self.num_y_layers = num_y_layers
        self.hsic_xy = torch.zeros(num_x_layers, num_y_layers,
                                   dtype=torch.float64)
        self.hsic_xx = torch.zeros(num_x_layers, dtype=torch.float64)
        self.hsic_yy = torch.zeros(num_y_layers, dtype=torch.float64)
        self.num_batches = 0

    def _grams(self, feats: Sequence[Tensor], expected: int,
               name: str) -> Tensor:
        """(L, n, n) linear Gram matrices with a zero diagonal."""
        if len(feats) != expected:
            raise ValueError(f'{name} must hold {expected} layers, got '
                             f'{len(feats)}')
        flat = [_flatten(f, f'{name}[{i}]') for i, f in enumerate(feats)]
        n = flat[0].shape[0]
        for i, f in enumerate(flat):
            if f.shape[0] != n:
                raise ValueError(f'every layer must hold the same examples: '
                                 f'{name}[0] has {n}, {name}[{i}] has '
                                 f'{f.shape[0]}')
        _check_batch_size(n, name)
        # HSIC₁ of linear kernels is invariant to translating the features;
        # centring first avoids cancellation for features with a large mean
        # and makes constant features exactly 0.
        flat = [f - f.mean(0) for f in flat]
        return _zero_diagonal(torch.stack([f @ f.T for f in flat]))

    def update(self, xs: Sequence[Tensor],
               ys: Optional[Sequence[Tensor]] = None) -> None:
        """Add one batch.

        Args:
            xs (Sequence[Tensor]): ``Lx`` tensors (n, ...), one per layer of
                the first model, the same ``n ≥ 4`` examples.
            ys (Sequence[Tensor], optional): ``Ly`` tensors (n, ...) of the
                second model on the same examples. ``None`` compares the
                first model with itself (``ys = xs``, needs ``Lx == Ly``).
        """
        ks = self._grams(xs, self.num_x_layers, 'xs')
        if ys is None:
            if self.num_x_layers != self.num_y_layers:
                raise ValueError(f'ys is needed: the accumulator compares '
                                 f'{self.num_x_layers} with '
                                 f'{self.num_y_layers} layers')
            ls = ks
        else:
            ls = self._grams(ys, self.num_y_layers, 'ys')
            if ls.shape[-1] != ks.shape[-1]:
                raise ValueError(f'xs and ys must hold the same examples, '
                                 f'got {ks.shape[-1]} and {ls.shape[-1]}')
        hsic_xy = _pairwise_unbiased_hsic(ks, ls)
        if ys is None:  # exactly symmetric, its diagonal the self terms
            hsic_xy = (hsic_xy + hsic_xy.T) / 2
            hsic_xx = hsic_yy = hsic_xy.diagonal()
        else:
            hsic_xx, hsic_yy = _self_unbiased_hsic(ks), _self_unbiased_hsic(ls)
        self.hsic_xy += hsic_xy.cpu()
        self.hsic_xx += hsic_xx.cpu()
        self.hsic_yy += hsic_yy.cpu()
        self.num_batches += 1

    def compute(self) -> Tensor:
        """The (Lx, Ly) float64 CKA matrix of the batches seen so far.

        Raises:
            RuntimeError: before any :meth:`update`.
            ValueError: a layer whose mean self-HSIC is not positive
                (features constant over the examples).
        """
        if self.num_batches == 0:
            raise RuntimeError('MinibatchCKA.compute() called before any '
                               'update()')
        for hsic, name in ((self.hsic_xx, 'xs'), (self.hsic_yy, 'ys')):
            bad = (hsic <= 0).nonzero().flatten().tolist()
            if bad:
                raise ValueError(f'{name} layers {bad} have a non-positive '
                                 f'HSIC with themselves (constant features?)')
        return self.hsic_xy / torch.sqrt(torch.outer(self.hsic_xx,
                                                     self.hsic_yy))

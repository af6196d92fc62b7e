"""MTO (masked token optimisation): three losses on the token features of a
MIM network that has mask tokens (REFERENCE.md §3).

Layer 0 is the initial embedding (the patch embedding with the mask tokens,
before the first block), layers 1..L the blocks after it. With
``p = rowsoftmax(X Xᵀ / τ)`` over the N tokens of layer 0 and ``H^l`` the
masked-token heterogeneity of layer l
(:func:`sgmim.analysis.heterogeneity.split_heterogeneity`)::

    L_spa = −Σ_{i∈V} Σ_j p_ij log p_ij         visible rows of layer 0,
                                               an un-normalised sum
    L_e   = 1 / (H^0 + ε)
    L_r   = Σ_{l=1..L} log(1 + exp(H^{l−1} − H^l))   (softplus)

each per sample, then averaged over the batch: ``L_spa`` over every sample
(a sample with no visible token adds a defined 0), ``L_e`` and each pair of
``L_r`` over the samples where the heterogeneities are defined (both masked
and visible tokens at the layers involved). A layer where no sample of the
batch has both raises a ``ValueError`` naming it: H is undefined there and a
silent 0 would switch MTO off unnoticed.

The paper leaves the feature normalisation and the temperature open; the
default is raw features and ``τ = 1`` (the same group's SBAM code), with
L2-normalised features and another ``τ`` as options. The products and
softmaxes run in float32 outside autocast (fp16 products of raw features
overflow).
"""
from numbers import Real
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmpretrain.registry import MODELS
from sgmim.analysis.heterogeneity import (TokenSplit, affinity_logits,
                                          softmax_row_entropy, split_tokens,
                                          split_heterogeneity)

TERMS = ('spa', 'e', 'r')


def sparsity_entropy(tokens: Tensor, split: TokenSplit,
                     normalize: bool = False,
                     temperature: float = 1.0) -> Tensor:
    """``L_spa`` of each sample: ``−Σ_{i∈V} Σ_j p_ij log p_ij`` with
    ``p = rowsoftmax(X Xᵀ / τ)`` over all N tokens.

    Args:
        tokens (Tensor): (B, N, C) layer-0 features.
        split (TokenSplit): Its visible set V (rows).
        normalize, temperature: as
            :func:`sgmim.analysis.heterogeneity.token_affinity`.

    Returns:
        Tensor: (B,), 0 for a sample without visible tokens.
    """
    if not any(split.visible_counts):
        return tokens.new_zeros(tokens.shape[0])
    if split.uniform:
        rows = split_tokens(tokens, split.visible, split.visible_counts[0])
        return softmax_row_entropy(
            affinity_logits(rows, tokens, normalize, temperature)).sum(-1)
    entropy = softmax_row_entropy(
        affinity_logits(tokens, tokens, normalize, temperature))
    return (entropy * split.visible.to(entropy.dtype)).sum(-1)


@MODELS.register_module()
class MTOLoss(nn.Module):
    """The MTO terms ``L_spa``, ``L_e`` and ``L_r`` (module docstring).

    Args:
        terms (Sequence[str]): Terms that are on, of 'spa', 'e', 'r'.
            Defaults to all three (the paper's full method).
        weights (dict, optional): Weight of each term, e.g.
            ``dict(r=0.5)``; missing terms weigh 1.
        normalize (bool): L2-normalise the features before every product.
            Defaults to False (the paper's raw features).
        temperature (float): Softmax temperature τ > 0. Defaults to 1.
        eps (float): ε > 0 of ``L_e``. Defaults to 1e-6 (the paper gives
            none).

    Returns of :meth:`forward`: ``loss_mto_spa``, ``loss_mto_e``,
    ``loss_mto_r`` (weighted, for the terms that are on) and, with
    ``L_e`` or ``L_r`` on, ``mto_heterogeneity_first`` (H^0) and, with
    ``L_r``, ``mto_heterogeneity_last`` (H^L), both detached: mmengine logs
    them without adding them to the loss.
    """

    def __init__(self,
                 terms: Sequence[str] = TERMS,
                 weights: Optional[Dict[str, float]] = None,
                 normalize: bool = False,
                 temperature: float = 1.0,
                 eps: float = 1e-6) -> None:
        super().__init__()
        if isinstance(terms, str) or not terms:
            raise ValueError(f'MTOLoss: terms must be a non-empty sequence '
                             f'of {TERMS}, got {terms!r}')
        unknown = [t for t in terms if t not in TERMS]
        if unknown or len(set(terms)) != len(terms):
            raise ValueError(f'MTOLoss: terms {list(terms)} must be distinct '
                             f'names of {TERMS}')
        weights = dict(weights or {})
        unknown = sorted(set(weights) - set(TERMS))
        if unknown:
            raise ValueError(f'MTOLoss: weights has unknown terms {unknown}; '
                             f'the terms are {TERMS}')
        for name, value in (*weights.items(), ('temperature', temperature),
                            ('eps', eps)):
            if not isinstance(value, Real) or isinstance(value, bool):
                raise TypeError(f'MTOLoss: {name} must be a number, got '
                                f'{value!r}')
        if not temperature > 0 or not eps > 0:
            raise ValueError(f'MTOLoss: temperature and eps must be '
                             f'positive, got {temperature} and {eps}')
        self.terms = tuple(t for t in TERMS if t in terms)
        self.weights = {t: float(weights.get(t, 1.0)) for t in self.terms}
        self.normalize = bool(normalize)
        self.temperature = float(temperature)
        self.eps = float(eps)

    @property
    def needs_blocks(self) -> bool:
        """Whether layers after the initial embedding are used (``L_r``)."""
        return 'r' in self.terms

    def forward(self, tokens: Sequence[Tensor], splits: Sequence[TokenSplit],
                names: Optional[Sequence[str]] = None) -> Dict[str, Tensor]:
        """The weighted terms.

        Args:
            tokens (Sequence[Tensor]): (B, N_l, C_l) features of layer
                0, 1, ..., L (only layer 0 unless ``L_r`` is on).
            splits (Sequence[TokenSplit]): The masked and visible sets of
                each layer's grid.
            names (Sequence[str], optional): Layer names for errors.

        Raises:
            ValueError: Lengths that disagree, ``L_r`` with fewer than two
                layers, or a layer whose heterogeneity is needed where no
                sample has both masked and visible tokens.
        """
        names = list(names) if names is not None else [
            f'layer {i}' for i in range(len(tokens))]
        if not len(tokens) == len(splits) == len(names) or not tokens:
            raise ValueError(f'MTOLoss: {len(tokens)} token sets, '
                             f'{len(splits)} splits and {len(names)} names')
        if self.needs_blocks and len(tokens) < 2:
            raise ValueError('MTOLoss: L_r needs the initial embedding and '
                             f'at least one block, got {names}')
        with torch.autocast(tokens[0].device.type, enabled=False):
            return self._terms([t.float() for t in tokens], splits, names)

    def _terms(self, tokens, splits, names) -> Dict[str, Tensor]:
        options = dict(normalize=self.normalize,
                       temperature=self.temperature)
        out = {}
        if 'spa' in self.terms:
            out['loss_mto_spa'] = sparsity_entropy(tokens[0], splits[0],
                                                   **options).mean()
        if 'e' not in self.terms and 'r' not in self.terms:
            return self._weighted(out)
        count = len(tokens) if self.needs_blocks else 1
        for split, name in zip(splits[:count], names):
            if not any(split.valid):
                raise ValueError(
                    f'MTO: at {name} no sample of the batch has both masked '
                    f'and visible tokens (masked counts '
                    f'{list(split.masked_counts)}, visible counts '
                    f'{list(split.visible_counts)}): the heterogeneity is '
                    'undefined; check the mask ratio')
        heterogeneity = [split_heterogeneity(t, s, **options)
                         for t, s in zip(tokens[:count], splits[:count])]
        valid = [s.valid for s in splits[:count]]
        if 'e' in self.terms:
            # undefined samples (H = 0 there) get H = 1 before the division:
            # their weight is 0, and 1 / ε² must not meet it in backward
            defined = heterogeneity[0] if all(valid[0]) else torch.where(
                torch.tensor(valid[0], device=heterogeneity[0].device),
                heterogeneity[0], torch.ones_like(heterogeneity[0]))
            out['loss_mto_e'] = _mean_over(1 / (defined + self.eps),
                                           valid[0])
        if 'r' in self.terms:
            terms = []
            for i in range(1, count):
                pair = tuple(a and b for a, b in zip(valid[i - 1], valid[i]))
                if not any(pair):
                    raise ValueError(
                        f'MTO: no sample has both masked and visible tokens '
                        f'at {names[i - 1]} and at {names[i]}: L_r is '
                        'undefined between them')
                terms.append(_mean_over(
                    F.softplus(heterogeneity[i - 1] - heterogeneity[i]),
                    pair))
            out['loss_mto_r'] = sum(terms)
        out = self._weighted(out)
        out['mto_heterogeneity_first'] = _mean_over(heterogeneity[0],
                                                    valid[0]).detach()
        if count > 1:
            out['mto_heterogeneity_last'] = _mean_over(
                heterogeneity[-1], valid[-1]).detach()
        return out

    def _weighted(self, out: Dict[str, Tensor]) -> Dict[str, Tensor]:
        return {key: self.weights[key.rsplit('_', 1)[1]] * value
                for key, value in out.items()}


def _mean_over(values: Tensor, valid: Sequence[bool]) -> Tensor:
    """Mean of ``values`` (B,) over the samples where ``valid`` (B bools,
    at least one True)."""
    if all(valid):
        return values.mean()
    weight = torch.tensor(valid, dtype=values.dtype, device=values.device)
    return (values * weight).sum() / weight.sum()

"""MTOLoss against a NumPy loop over hand-made token sets."""
import math

import numpy as np
import pytest
import torch

import sgmim  # noqa: F401
from mmpretrain.registry import MODELS
from sgmim.analysis.heterogeneity import token_split


def softmax_entropy(logits):
    top = max(logits)
    weights = [math.exp(z - top) for z in logits]
    return -sum(w / sum(weights) * math.log(w / sum(weights))
                for w in weights)


def features(x, normalize):
    return x / np.linalg.norm(x, axis=-1, keepdims=True) if normalize else x


def loop_heterogeneity(x, masked, visible, normalize, tau):
    x = features(x, normalize)
    rows = [softmax_entropy([x[i] @ x[j] / tau
                             for j in np.flatnonzero(visible)])
            for i in np.flatnonzero(masked)]
    return sum(rows) / len(rows)


def loop_terms(layers, masks, normalize, tau, eps):
    """L_spa, L_e and L_r written out per sample, then batch means."""
    batch = layers[0].shape[0]
    spa, e, r = [], [], []
    for b in range(batch):
        x0 = features(layers[0][b], normalize)
        visible0 = ~masks[0][b]
        spa.append(sum(softmax_entropy([x0[i] @ x0[j] / tau
                                        for j in range(len(x0))])
                       for i in np.flatnonzero(visible0)))
        h = [loop_heterogeneity(x[b], m[b], ~m[b], normalize, tau)
             for x, m in zip(layers, masks)]
        e.append(1 / (h[0] + eps))
        r.append(sum(math.log(1 + math.exp(h[i - 1] - h[i]))
                     for i in range(1, len(h))))
    return np.mean(spa), np.mean(e), np.mean(r)


def hand_made(seed=0, batch=3, tokens=8, channels=4, layers=3, masked=5):
    rng = np.random.default_rng(seed)
    xs = [rng.normal(size=(batch, tokens, channels)) * (1 + i)
          for i in range(layers)]
    mask = np.zeros((batch, tokens), bool)
    for b in range(batch):
        mask[b, rng.permutation(tokens)[:masked]] = True
    return xs, mask


@pytest.mark.parametrize('normalize,tau', [(False, 1.0), (True, 0.3),
                                           (False, 2.0)])
def test_terms_match_the_loop(normalize, tau):
    xs, mask = hand_made()
    eps = 1e-3
    loss = MODELS.build(dict(type='MTOLoss', normalize=normalize,
                             temperature=tau, eps=eps))
    split = token_split(torch.tensor(mask), torch.tensor(~mask))
    out = loss([torch.tensor(x) for x in xs], [split] * len(xs))
    spa, e, r = loop_terms(xs, [mask] * len(xs), normalize, tau, eps)
    assert set(out) == {'loss_mto_spa', 'loss_mto_e', 'loss_mto_r',
                        'mto_heterogeneity_first', 'mto_heterogeneity_last'}
    # the loss runs in float32
    assert out['loss_mto_spa'].dtype == torch.float32
    np.testing.assert_allclose(out['loss_mto_spa'].item(), spa, rtol=1e-5)
    np.testing.assert_allclose(out['loss_mto_e'].item(), e, rtol=1e-5)
    np.testing.assert_allclose(out['loss_mto_r'].item(), r, rtol=1e-5)
    h0 = np.mean([loop_heterogeneity(xs[0][b], mask[b], ~mask[b], normalize,
                                     tau) for b in range(len(mask))])
    np.testing.assert_allclose(out['mto_heterogeneity_first'].item(), h0,
                               rtol=1e-5)
    assert not out['mto_heterogeneity_first'].requires_grad


def test_uneven_sets_match_the_loop():
    """Swin-like layers: a coarser grid with a mixed token; each sample's
    own sets, the batch means over the samples where H is defined."""
    xs, mask = hand_made(seed=1, batch=2, tokens=4, layers=1, masked=2)
    coarse_masked = np.array([[True, False, False, False],
                              [False, False, False, False]])
    coarse_visible = np.array([[False, True, True, False],
                               [True, True, True, True]])
    rng = np.random.default_rng(2)
    x1 = rng.normal(size=(2, 4, 4))
    splits = [token_split(torch.tensor(mask), torch.tensor(~mask)),
              token_split(torch.tensor(coarse_masked),
                          torch.tensor(coarse_visible))]
    out = MODELS.build(dict(type='MTOLoss', terms=('r', )))(
        [torch.tensor(xs[0]), torch.tensor(x1)], splits)
    # sample 1 has no masked token at layer 1: only sample 0 counts for L_r
    h0 = loop_heterogeneity(xs[0][0], mask[0], ~mask[0], False, 1.0)
    h1 = loop_heterogeneity(x1[0], coarse_masked[0], coarse_visible[0],
                            False, 1.0)
    np.testing.assert_allclose(out['loss_mto_r'].item(),
                               math.log(1 + math.exp(h0 - h1)), rtol=1e-5)
    assert set(out) == {'loss_mto_r', 'mto_heterogeneity_first',
                        'mto_heterogeneity_last'}


def test_terms_and_weights_select_and_scale():
    xs, mask = hand_made(layers=2)
    split = token_split(torch.tensor(mask), torch.tensor(~mask))
    tokens = [torch.tensor(x) for x in xs]
    full = MODELS.build(dict(type='MTOLoss'))(tokens, [split] * 2)
    spa = MODELS.build(dict(type='MTOLoss', terms=['spa'],
                            weights=dict(spa=0.5)))(tokens, [split] * 2)
    assert set(spa) == {'loss_mto_spa'}  # no H computed, none logged
    torch.testing.assert_close(spa['loss_mto_spa'],
                               0.5 * full['loss_mto_spa'])
    e = MODELS.build(dict(type='MTOLoss', terms=('e', ),
                          weights=dict(e=2., r=3.)))
    assert not e.needs_blocks
    e_out = e(tokens[:1], [split])
    torch.testing.assert_close(e_out['loss_mto_e'], 2 * full['loss_mto_e'])
    assert 'mto_heterogeneity_last' not in e_out


def test_degenerate_batches_are_an_error_or_a_defined_zero():
    tokens = torch.randn(2, 6, 4, requires_grad=True)
    none = torch.zeros(2, 6, dtype=torch.bool)
    all_visible = token_split(none, ~none)
    all_masked = token_split(~none, none)
    for split, kind in ((all_visible, 'visible'), (all_masked, 'masked')):
        for terms in (('e', ), ('r', )):
            loss = MODELS.build(dict(type='MTOLoss', terms=terms))
            with pytest.raises(ValueError, match='no sample of the batch '
                               'has both masked and visible tokens'):
                loss([tokens, tokens], [split, split], ['emb', 'block'])
    spa = MODELS.build(dict(type='MTOLoss', terms=('spa', )))
    # every token masked: the sum over visible rows is empty, a defined 0
    assert spa([tokens], [all_masked])['loss_mto_spa'].item() == 0
    # a sample without visible tokens beside one with them
    half = token_split(torch.stack([~none[0], none[1]]),
                       torch.stack([none[0], ~none[1]]))
    mixed = spa([tokens], [half])['loss_mto_spa']
    full = spa([tokens[1:]], [token_split(none[1:], ~none[1:])])
    torch.testing.assert_close(mixed, full['loss_mto_spa'] / 2)
    mixed.backward()
    assert torch.isfinite(tokens.grad).all() and tokens.grad[0].eq(0).all()
    # every token visible: a sum over all rows, finite
    assert torch.isfinite(spa([tokens], [all_visible])['loss_mto_spa'])


@pytest.mark.parametrize('kwargs,error,match', [
    (dict(terms=()), ValueError, 'non-empty'),
    (dict(terms='spa'), ValueError, 'non-empty sequence'),
    (dict(terms=('spa', 'sparsity')), ValueError, 'distinct names'),
    (dict(terms=('e', 'e')), ValueError, 'distinct names'),
    (dict(weights=dict(rank=1.)), ValueError, "unknown terms \\['rank'\\]"),
    (dict(weights=dict(e='1')), TypeError, 'e must be a number'),
    (dict(temperature=0), ValueError, 'positive'),
    (dict(eps=-1e-6), ValueError, 'positive'),
])
def test_bad_options_fail_at_build(kwargs, error, match):
    with pytest.raises(error, match=match):
        MODELS.build(dict(type='MTOLoss', **kwargs))


def test_rank_loss_needs_two_layers():
    split = token_split(torch.tensor([[True, False]]),
                        torch.tensor([[False, True]]))
    with pytest.raises(ValueError, match='at least one block'):
        MODELS.build(dict(type='MTOLoss'))([torch.randn(1, 2, 3)], [split])


def test_le_gradient_is_finite_beside_an_undefined_sample():
    """A sample without visible tokens at layer 0 (H = 0 there) beside a
    defined one, with a tiny ε: L_e is the defined sample's, and no
    1 / ε² reaches the gradient."""
    tokens = torch.randn(2, 4, 3, requires_grad=True)
    masked = torch.tensor([[True, True, False, False], [True] * 4])
    split = token_split(masked, ~masked)
    loss = MODELS.build(dict(type='MTOLoss', terms=('e', ), eps=1e-30))
    out = loss([tokens], [split])['loss_mto_e']
    h = loop_heterogeneity(tokens[0].detach().numpy(), masked[0].numpy(),
                           ~masked[0].numpy(), False, 1.0)
    np.testing.assert_allclose(out.item(), 1 / h, rtol=1e-5)
    out.backward()
    assert torch.isfinite(tokens.grad).all() and tokens.grad[1].eq(0).all()

import doctest
import math

import numpy as np
import pytest
import torch

from sgmim.analysis import heterogeneity
from sgmim.analysis.heterogeneity import (masked_token_heterogeneity,
                                          split_tokens_by_mask,
                                          token_affinity)


def loop_affinity_and_entropy(masked, visible, normalize, temperature):
    """One masked token at a time, softmax and entropy written out."""
    if normalize:
        masked = masked / np.linalg.norm(masked, axis=1, keepdims=True)
        visible = visible / np.linalg.norm(visible, axis=1, keepdims=True)
    rows, entropy = [], 0.0
    for x_i in masked:
        logits = [float(x_i @ v) / temperature for v in visible]
        top = max(logits)
        weights = [math.exp(z - top) for z in logits]
        row = [w / sum(weights) for w in weights]
        rows.append(row)
        entropy -= sum(a * math.log(a) for a in row)
    return np.array(rows), entropy / len(masked)


def test_docstring_examples():
    assert doctest.testmod(heterogeneity).failed == 0


def test_identical_visible_tokens_give_log_v():
    torch.manual_seed(0)
    visible = torch.randn(3, 1, 8).expand(3, 5, 8)  # 5 equal tokens each
    masked = torch.randn(3, 4, 8) * 10
    result = masked_token_heterogeneity(masked, visible)
    assert result.shape == (3, )
    torch.testing.assert_close(result, torch.full((3, ), math.log(5)))
    torch.testing.assert_close(token_affinity(masked, visible),
                               torch.full((3, 4, 5), 0.2))


def test_one_dominant_visible_token_gives_zero():
    torch.manual_seed(1)
    direction = torch.tensor([1., 0., 0., 0.])
    visible = torch.cat([1e3 * direction[None], torch.randn(6, 4)])
    masked = torch.randn(5, 4).abs() + direction  # all along ``direction``
    result = masked_token_heterogeneity(masked, visible)
    assert result.ndim == 0
    assert 0 <= result.item() < 1e-6
    affinity = token_affinity(masked, visible)
    torch.testing.assert_close(affinity[:, 0], torch.ones(5))


@pytest.mark.parametrize('normalize,temperature', [(False, 1.0), (True, 0.1),
                                                   (False, 3.0)])
def test_matches_loop(normalize, temperature):
    rng = np.random.default_rng(2)
    masked, visible = rng.normal(size=(2, 6, 5)), rng.normal(size=(2, 4, 5))
    result = masked_token_heterogeneity(torch.tensor(masked),
                                        torch.tensor(visible), normalize,
                                        temperature)
    affinity = token_affinity(torch.tensor(masked), torch.tensor(visible),
                              normalize=normalize, temperature=temperature)
    for b in range(2):
        rows, entropy = loop_affinity_and_entropy(masked[b], visible[b],
                                                  normalize, temperature)
        np.testing.assert_allclose(affinity[b].numpy(), rows, rtol=1e-10)
        np.testing.assert_allclose(result[b].item(), entropy, rtol=1e-10)
    # Unbatched inputs give the per-sample values.
    single = masked_token_heterogeneity(torch.tensor(masked[1]),
                                        torch.tensor(visible[1]), normalize,
                                        temperature)
    torch.testing.assert_close(single, result[1])


def test_gradient_flows():
    torch.manual_seed(3)
    masked = torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)
    visible = torch.randn(2, 5, 4, dtype=torch.float64, requires_grad=True)
    for normalize in (False, True):
        assert torch.autograd.gradcheck(
            lambda m, v: masked_token_heterogeneity(m, v, normalize, 0.5),
            (masked, visible))
    masked_token_heterogeneity(masked, visible).sum().backward()
    assert masked.grad.abs().sum() > 0 and visible.grad.abs().sum() > 0


def test_split_tokens_by_mask_round_trip():
    torch.manual_seed(4)
    tokens = torch.randn(3, 6, 2)
    mask = torch.zeros(3, 6, dtype=torch.bool)
    for b, index in enumerate(([0, 2], [1, 5], [3, 4])):
        mask[b, index] = True
    masked, visible = split_tokens_by_mask(tokens, mask)
    assert masked.shape == (3, 2, 2) and visible.shape == (3, 4, 2)
    rebuilt = torch.empty_like(tokens)
    for b in range(3):  # loop: masked, then visible, in token order
        rebuilt[b, mask[b]] = masked[b]
        rebuilt[b, ~mask[b]] = visible[b]
        assert torch.equal(masked[b], tokens[b][mask[b]])
    assert torch.equal(rebuilt, tokens)
    # A 0/1 integer mask reads the same.
    int_masked, _ = split_tokens_by_mask(tokens, mask.long())
    assert torch.equal(int_masked, masked)


def test_split_errors():
    tokens = torch.randn(2, 4, 3)
    with pytest.raises(ValueError, match=r'counts \[1, 2\]'):
        split_tokens_by_mask(tokens, torch.tensor([[1, 0, 0, 0],
                                                   [1, 1, 0, 0]]).bool())
    with pytest.raises(ValueError, match='only 0 and 1'):
        split_tokens_by_mask(tokens, torch.full((2, 4), 2))
    with pytest.raises(ValueError, match=r'mask must have shape \(B, N\)'):
        split_tokens_by_mask(tokens, torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match=r'tokens must have shape'):
        split_tokens_by_mask(tokens[0], torch.ones(4, dtype=torch.bool))


def test_heterogeneity_errors():
    m, v = torch.randn(2, 3, 4), torch.randn(2, 5, 4)
    with pytest.raises(ValueError, match='same channels'):
        masked_token_heterogeneity(m, v[..., :3])
    with pytest.raises(ValueError, match='same batch size'):
        masked_token_heterogeneity(m, v[:1])
    with pytest.raises(ValueError, match='both be batched'):
        masked_token_heterogeneity(m[0], v)
    with pytest.raises(ValueError, match='visible holds no tokens'):
        masked_token_heterogeneity(m, v[:, :0])
    with pytest.raises(ValueError, match='temperature'):
        token_affinity(m, v, temperature=0)
    with pytest.raises(ValueError, match='masked must have shape'):
        token_affinity(m[None], v)


def test_stage_rule_on_a_hand_made_mask():
    """A 4x4 patch mask read on the 2x2 grid of a Swin stage that merges
    2x2 patches: masked = all four patches masked, visible = none, the rest
    (mixed) in neither set."""
    mask = torch.tensor([[[1, 1, 0, 0],
                          [1, 1, 0, 1],
                          [0, 0, 1, 1],
                          [0, 0, 1, 1]]])
    split = heterogeneity.split_on_token_grid(mask, (2, 2))
    # tokens (row-major): top-left all masked, top-right mixed,
    # bottom-left all visible, bottom-right all masked
    assert split.masked.tolist() == [[True, False, False, True]]
    assert split.visible.tolist() == [[False, False, True, False]]
    assert (split.masked_counts, split.visible_counts) == ((2, ), (1, ))
    same = heterogeneity.split_on_token_grid(mask, (4, 4))
    assert same.masked.tolist() == [mask.flatten().bool().tolist()]
    assert same.visible.tolist() == [(mask.flatten() == 0).tolist()]
    one = heterogeneity.split_on_token_grid(mask, (1, 1))
    assert one.masked_counts == one.visible_counts == (0, )
    assert one.valid == (False, )
    for hw in ((3, 3), (2, 1), (8, 8)):
        with pytest.raises(ValueError, match='does not tile'):
            heterogeneity.split_on_token_grid(mask, hw)


def loop_split_heterogeneity(tokens, masked, visible, normalize,
                             temperature):
    """Per sample, the loop of :func:`loop_affinity_and_entropy` on its own
    sets; 0 where a set is empty."""
    out = []
    for x, m, v in zip(tokens, masked, visible):
        if m.any() and v.any():
            out.append(loop_affinity_and_entropy(x[m], x[v], normalize,
                                                 temperature)[1])
        else:
            out.append(0.0)
    return np.array(out)


@pytest.mark.parametrize('normalize,temperature', [(False, 1.0), (True, 0.2)])
def test_split_heterogeneity_matches_loop_with_uneven_sets(normalize,
                                                           temperature):
    rng = np.random.default_rng(4)
    tokens = rng.normal(size=(4, 6, 3))
    masked = np.array([[1, 1, 0, 0, 0, 0], [1, 0, 1, 0, 1, 0],
                       [0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 0, 0]], bool)
    visible = np.array([[0, 0, 1, 1, 0, 1], [0, 1, 0, 0, 0, 0],
                        [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1]], bool)
    split = heterogeneity.token_split(torch.tensor(masked),
                                      torch.tensor(visible))
    assert not split.uniform and split.valid == (True, True, False, True)
    x = torch.tensor(tokens, requires_grad=True)
    result = heterogeneity.split_heterogeneity(x, split, normalize,
                                               temperature)
    np.testing.assert_allclose(
        result.detach().numpy(),
        loop_split_heterogeneity(tokens, masked, visible, normalize,
                                 temperature), rtol=1e-10)
    result.sum().backward()
    assert torch.isfinite(x.grad).all()
    assert x.grad[2].abs().max() == 0  # the undefined sample adds nothing
    # uniform sets: the gathered path gives the same numbers
    even = heterogeneity.token_split(torch.tensor(masked[[3, 3]]),
                                     torch.tensor(visible[[3, 3]]))
    assert even.uniform
    np.testing.assert_allclose(
        heterogeneity.split_heterogeneity(x.detach()[[3, 3]], even,
                                          normalize, temperature).numpy(),
        [result[3].item()] * 2, rtol=1e-12)


def test_token_split_rejects_overlap_and_shapes():
    both = torch.tensor([[True, False]])
    with pytest.raises(ValueError, match='both masked and visible'):
        heterogeneity.token_split(both, both)
    with pytest.raises(ValueError, match=r'\(B, N\)'):
        heterogeneity.token_split(both, both[0])
    split = heterogeneity.token_split(both, ~both)
    with pytest.raises(ValueError, match='do not match'):
        heterogeneity.split_heterogeneity(torch.zeros(1, 3, 2), split)

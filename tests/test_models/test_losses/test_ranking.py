"""Confident depth ranking: the loss on fixed pairs against a loop, its
stability, the degenerate cases and the pair sampler."""
import math

import pytest
import torch

from sgmim.models.losses import (confident_ranking_loss, ranking_labels,
                                 sample_ranking_pairs)


def loop_loss_and_grad(pred, pseudo, pairs, ratio=1.15, min_depth=1e-8):
    """Σ softplus(−t(z_A − z_B)) / #labelled and its gradient, written out
    pair by pair in Python floats."""
    z, g = pred.flatten().tolist(), pseudo.flatten().tolist()
    total, count, grad = 0., 0, [0.] * len(z)
    for a, b in pairs:
        if g[a] <= min_depth or g[b] <= min_depth:
            continue
        t = 1 if g[a] / g[b] > ratio else -1 if g[b] / g[a] > ratio else 0
        if not t:
            continue
        x = -t * (z[a] - z[b])
        total += math.log1p(math.exp(x))
        count += 1
        slope = 1 / (1 + math.exp(-x))  # d softplus(x) / dx
        grad[a] += -t * slope
        grad[b] += t * slope
    count = max(count, 1)
    return total / count, [v / count for v in grad]


def maps():
    pseudo = torch.tensor([[[[1.0, 2.0, 1.1, 0.0],
                             [3.0, 3.2, 1.0, 5.0],
                             [0.5, 4.0, 2.0, 2.2]]],
                           [[[2.0, 1.0, 1.0, 6.0],
                             [1.0, 1.1, 0.9, 1.0],
                             [7.0, 1.5, 3.0, 0.2]]]])
    pred = torch.tensor([[[[0.9, 1.5, 1.3, 2.0],
                           [2.0, 3.5, 0.7, 4.0],
                           [1.0, 3.0, 2.5, 2.0]]],
                         [[[1.0, 2.0, 1.2, 5.0],
                           [1.3, 0.8, 1.0, 1.1],
                           [6.0, 2.0, 2.0, 0.5]]]])
    return pred, pseudo


# flat indices into the 2 × 3 × 4 pixels: +1, −1, ties (ratio ≤ 1.15),
# an invalid pseudo-depth (index 3 is 0), pairs across images
PAIRS = [(1, 0), (0, 1), (2, 0), (0, 3), (3, 7), (4, 6), (5, 4), (8, 9),
         (11, 10), (7, 6), (12, 13), (15, 14), (16, 17), (20, 23), (23, 21),
         (18, 19), (0, 20), (22, 5), (6, 6)]


def split(pairs):
    return (torch.tensor([a for a, _ in pairs]),
            torch.tensor([b for _, b in pairs]))


def test_loss_and_gradient_match_loop():
    pred, pseudo = maps()
    pred.requires_grad_()
    loss = confident_ranking_loss(pred, pseudo, *split(PAIRS))
    loss.backward()
    expected, grad = loop_loss_and_grad(pred.detach(), pseudo, PAIRS)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert torch.allclose(pred.grad.flatten(), torch.tensor(grad),
                          atol=1e-7)


def test_labels_and_sign():
    """t = +1 where A is farther in the pseudo-depth; a prediction ordered
    the same way costs less than the reversed one."""
    g_a = torch.tensor([2.0, 1.0, 1.1, 0.0, 3.0])
    g_b = torch.tensor([1.0, 2.0, 1.0, 1.0, 0.0])
    assert ranking_labels(g_a, g_b).tolist() == [1, -1, 0, 0, 0]
    pseudo = torch.tensor([2.0, 1.0]).view(1, 1, 1, 2)
    pairs = split([(0, 1)])
    right = torch.tensor([5.0, 1.0]).view(1, 1, 1, 2)
    assert confident_ranking_loss(right, pseudo, *pairs) < \
        confident_ranking_loss(right.flip(-1), pseudo, *pairs)


def test_stable_for_large_differences():
    """The reference's log(1 + exp(x)) is inf at x = 200 (float32); the
    softplus form gives 200 and a finite gradient."""
    pseudo = torch.tensor([2.0, 1.0]).view(1, 1, 1, 2)
    pred = torch.tensor([0.0, 200.0]).view(1, 1, 1, 2).requires_grad_()
    pairs = split([(0, 1)])
    assert torch.isinf(torch.log(1 + torch.exp(torch.tensor(200.0))))
    loss = confident_ranking_loss(pred, pseudo, *pairs)
    loss.backward()
    assert loss.item() == pytest.approx(200.0)
    assert pred.grad.flatten().tolist() == pytest.approx([-1.0, 1.0])


@pytest.mark.parametrize('pseudo_value', [1.0, 0.0])
def test_no_confident_pair_is_zero(pseudo_value):
    """Constant (or all-invalid) pseudo-depth, and no pairs at all: 0, zero
    gradient, no NaN (the reference divides by 0)."""
    pred = (torch.rand(2, 1, 6, 7) * 1e3).requires_grad_()
    pseudo = torch.full((2, 1, 6, 7), pseudo_value)
    pairs = sample_ranking_pairs((2, 6, 7), torch.rand(2, 1, 6, 7),
                                 generator=torch.Generator().manual_seed(0))
    empty = torch.zeros(0, dtype=torch.long)
    for index_a, index_b in (pairs, (empty, empty)):
        pred.grad = None
        loss = confident_ranking_loss(pred, pseudo, index_a, index_b)
        loss.backward()
        assert loss.item() == 0
        assert torch.equal(pred.grad, torch.zeros_like(pred))


def test_sampler_global_and_confident_sets():
    batch, height, width = 3, 5, 8
    pixels = height * width
    g = torch.Generator().manual_seed(1)
    confidence = torch.rand(batch, 1, height, width, generator=g)
    index_a, index_b = sample_ranking_pairs(
        (batch, height, width), confidence,
        generator=torch.Generator().manual_seed(2))
    n_global, n_conf = round(0.1 * pixels), int(0.2 * pixels)
    assert index_a.numel() == index_b.numel() == batch * (n_global + n_conf)
    glob_a = index_a[:batch * n_global].view(batch, n_global)
    glob_b = index_b[:batch * n_global].view(batch, n_global)
    for b in range(batch):
        # the same positions in every image
        assert torch.equal(glob_a[b] - b * pixels, glob_a[0])
        assert torch.equal(glob_b[b] - b * pixels, glob_b[0])
    assert len(set(glob_a[0].tolist())) == n_global  # distinct positions
    conf_a = index_a[batch * n_global:].view(batch, n_conf)
    conf_b = index_b[batch * n_global:].view(batch, n_conf)
    for b in range(batch):
        values = confidence[b].flatten().tolist()
        lowest = sorted(range(pixels), key=values.__getitem__)[:n_conf]
        assert sorted((conf_a[b] - b * pixels).tolist()) == sorted(lowest)
        partners = (conf_b[b] - b * pixels).tolist()
        assert all(0 <= p < pixels and p not in lowest for p in partners)


def test_sampler_is_seeded():
    confidence = torch.linspace(0, 1, 72).view(2, 1, 6, 6)

    def draw(seed):
        return sample_ranking_pairs(
            (2, 6, 6), confidence,
            generator=torch.Generator().manual_seed(seed))
    torch.manual_seed(0)
    first = draw(5)
    torch.manual_seed(1)  # the global RNG does not matter
    again, other = draw(5), draw(6)
    assert all(torch.equal(x, y) for x, y in zip(first, again))
    assert not torch.equal(first[0], other[0])


def test_sampler_without_confidence_and_tiny_maps():
    index_a, _ = sample_ranking_pairs((2, 10, 10))
    assert index_a.numel() == 2 * 10
    index_a, index_b = sample_ranking_pairs((1, 1, 2), torch.ones(1, 1, 1, 2))
    assert index_a.numel() == index_b.numel() == 0


@pytest.mark.parametrize('kwargs,match', [
    (dict(shape=(2, 4)), 'shape must be'),
    (dict(sample_ratio=1.5), r'sample_ratio must be in \[0, 1\]'),
    (dict(unreliable_ratio=1.0), r'unreliable_ratio must be in \[0, 1\)'),
    (dict(confidence=torch.ones(2, 1, 4, 5)), 'confidence of shape'),
])
def test_sampler_bad_input(kwargs, match):
    kwargs = dict(dict(shape=(2, 4, 4)), **kwargs)
    with pytest.raises(ValueError, match=match):
        sample_ranking_pairs(**kwargs)


def test_loss_bad_input():
    pred, pseudo = maps()
    pairs = split(PAIRS)
    with pytest.raises(ValueError, match='pseudo_depth of shape'):
        confident_ranking_loss(pred, pseudo[..., :3], *pairs)
    with pytest.raises(ValueError, match='outside the 24 pixels'):
        confident_ranking_loss(pred, pseudo, pairs[0], pairs[1] + 10)
    with pytest.raises(ValueError, match='index_a has 19 entries'):
        confident_ranking_loss(pred, pseudo, pairs[0], pairs[1][:3])
    with pytest.raises(TypeError, match='index_b must be a 1-D int64'):
        confident_ranking_loss(pred, pseudo, pairs[0], pairs[1].float())
    with pytest.raises(ValueError, match='ratio must be > 1'):
        confident_ranking_loss(pred, pseudo, *pairs, ratio=0.9)

"""Attention statistics against brute-force loops over heads, rows, keys."""
import math

import numpy as np
import pytest
import torch

from sgmim.analysis.attention import (attention_distance, attention_entropy,
                                      head_kl_divergence, kernel_offsets,
                                      large_kernel_distance,
                                      large_kernel_heads,
                                      large_kernel_statistics)


def random_attn(*shape, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=gen).mul(2).softmax(-1)


def rows(attn, valid):
    """Yield (lead index, head, query, renormalised row as a list) over the
    rows with a valid key, looping; valid None = all valid."""
    a = attn.double().numpy()
    lead = a.shape[:-3]
    heads, queries, keys = a.shape[-3:]
    for idx in np.ndindex(*lead):
        for h in range(heads):
            for i in range(queries):
                mask = ([True] * keys if valid is None else
                        [bool(valid[idx + (i, j)]) for j in range(keys)])
                if not any(mask):
                    continue
                row = [a[idx + (h, i, j)] if mask[j] else 0.
                       for j in range(keys)]
                total = sum(row)
                yield idx, h, i, [r / total for r in row]


def mean_per_head(values, heads):
    return torch.tensor([np.mean(values[h]) for h in range(heads)],
                        dtype=torch.float64)


def brute_distance(attn, coords, valid=None):
    """coords: numpy (lead..., N, 2) broadcast by indexing with idx."""
    out = {h: [] for h in range(attn.shape[-3])}
    for idx, h, i, row in rows(attn, valid):
        c = coords[tuple(min(k, s - 1) for k, s in
                         zip(idx, coords.shape[:-2]))]
        out[h].append(sum(p * math.dist(c[i], c[j])
                          for j, p in enumerate(row)))
    return mean_per_head(out, attn.shape[-3])


def brute_entropy(attn, valid=None):
    out = {h: [] for h in range(attn.shape[-3])}
    for _, h, _, row in rows(attn, valid):
        out[h].append(-sum(p * math.log(p) for p in row if p > 0))
    return mean_per_head(out, attn.shape[-3])


def kl(p, q):
    return sum(a * (math.log(a) - math.log(max(b, 1e-12)))
               for a, b in zip(p, q) if a > 0)


def brute_kl(attn, mode, valid=None):
    heads = attn.shape[-3]
    by_row = {}
    for idx, h, i, row in rows(attn, valid):
        by_row.setdefault((idx, i), {})[h] = row
    out = {h: [] for h in range(heads)}
    for per_head in by_row.values():
        for h in range(heads):
            if mode == 'pairwise':
                out[h].append(np.mean([kl(per_head[h], per_head[g])
                                       for g in range(heads) if g != h]))
            else:
                mean = np.mean([per_head[g] for g in range(heads)], axis=0)
                out[h].append(kl(per_head[h], mean))
    return mean_per_head(out, heads)


def grid_coords(h, w, sy, sx):
    return np.array([[(y + .5) * sy, (x + .5) * sx] for y in range(h)
                     for x in range(w)])


def test_distance_on_a_grid_matches_loops():
    attn = random_attn(2, 3, 6, 6)
    got = attention_distance(attn, (2, 3), (4., 8.))
    expected = brute_distance(attn, grid_coords(2, 3, 4, 8)[None])
    torch.testing.assert_close(got, expected)
    # one patch size for both axes
    torch.testing.assert_close(
        attention_distance(attn, (2, 3), 16),
        brute_distance(attn, grid_coords(2, 3, 16, 16)[None]))


def test_distance_with_per_window_coordinates_and_valid_pairs():
    attn = random_attn(3, 2, 5, 5, seed=1)
    coords = torch.rand(3, 5, 2, generator=torch.Generator().manual_seed(2))
    valid = torch.rand(3, 5, 5,
                       generator=torch.Generator().manual_seed(3)) > .4
    valid[0, 1] = False  # a query without valid keys: left out
    valid[1, 2, 2] = True
    got = attention_distance(attn, coords * 10, valid=valid)
    torch.testing.assert_close(
        got, brute_distance(attn, coords.double().numpy() * 10, valid))


def test_entropy_and_kl_match_loops_with_and_without_valid():
    attn = random_attn(2, 4, 3, 6, seed=4)
    valid = torch.rand(2, 3, 6,
                       generator=torch.Generator().manual_seed(5)) > .3
    valid[1, 0] = False
    for v in (None, valid):
        torch.testing.assert_close(attention_entropy(attn, v),
                                   brute_entropy(attn, v))
        for mode in ('pairwise', 'to_mean'):
            torch.testing.assert_close(head_kl_divergence(attn, mode, v),
                                       brute_kl(attn, mode, v))


def test_identity_and_uniform_attention():
    eye = torch.eye(9).expand(2, 3, 9, 9)
    torch.testing.assert_close(attention_distance(eye, (3, 3), 16),
                               torch.zeros(3, dtype=torch.float64))
    torch.testing.assert_close(attention_entropy(eye),
                               torch.zeros(3, dtype=torch.float64))
    uniform = torch.full((2, 3, 9, 9), 1 / 9)
    torch.testing.assert_close(attention_entropy(uniform),
                               torch.full((3, ), math.log(9),
                                          dtype=torch.float64))
    torch.testing.assert_close(head_kl_divergence(uniform),
                               torch.zeros(3, dtype=torch.float64))
    # two tokens 16 px apart, half the mass on each: 8 px
    torch.testing.assert_close(
        attention_distance(torch.full((1, 2, 2), .5), (1, 2), 16),
        torch.tensor([8.], dtype=torch.float64))
    # uniform over the valid keys only: log(number of valid keys)
    valid = torch.zeros(9, 9, dtype=torch.bool)
    valid[:, :4] = True
    torch.testing.assert_close(attention_entropy(uniform, valid),
                               torch.full((3, ), math.log(4),
                                          dtype=torch.float64))


def test_rows_are_renormalised_so_a_cls_column_can_be_dropped():
    attn = random_attn(2, 2, 5, 5, seed=6)
    patches = attn[..., 1:, 1:]
    manual = patches / patches.sum(-1, keepdim=True)
    torch.testing.assert_close(attention_distance(patches, (2, 2), 16),
                               attention_distance(manual, (2, 2), 16))
    torch.testing.assert_close(attention_entropy(patches),
                               attention_entropy(manual))
    # valid None equals an all-True mask
    torch.testing.assert_close(
        head_kl_divergence(attn),
        head_kl_divergence(attn, valid=torch.ones(5, 5, dtype=torch.bool)))


def test_distinct_one_hot_heads_have_a_finite_floored_kl():
    attn = torch.zeros(2, 1, 2)
    attn[0, 0, 0] = attn[1, 0, 1] = 1
    torch.testing.assert_close(
        head_kl_divergence(attn),
        torch.full((2, ), -math.log(1e-12), dtype=torch.float64))
    torch.testing.assert_close(
        head_kl_divergence(attn, 'to_mean'),
        torch.full((2, ), math.log(2), dtype=torch.float64))


@pytest.mark.parametrize('call, match', [
    (lambda: attention_entropy(torch.ones(4, 4)), 'attn must be'),
    (lambda: attention_distance(torch.ones(1, 2, 3) / 3, (1, 3)), 'square'),
    (lambda: attention_distance(torch.ones(1, 4, 4) / 4, (3, 1)),
     'grid must be'),
    (lambda: attention_distance(torch.ones(1, 4, 4) / 4, torch.zeros(4, 3)),
     'grid coordinates'),
    (lambda: attention_distance(torch.ones(2, 1, 4, 4) / 4,
                                torch.zeros(3, 4, 2)), 'broadcast'),
    (lambda: attention_distance(torch.ones(1, 4, 4) / 4, (2, 2), -1.),
     'patch_size'),
    (lambda: attention_entropy(-torch.ones(1, 2, 2)), 'non-negative'),
    (lambda: attention_entropy(torch.ones(1, 2, 2), torch.ones(2, 2)),
     'bool'),
    (lambda: attention_entropy(torch.ones(1, 2, 2),
                               torch.ones(3, 2, dtype=torch.bool)),
     'broadcast'),
    (lambda: attention_entropy(torch.eye(2)[None],
                               torch.tensor([[False, True], [False, True]])),
     'zero mass'),
    (lambda: attention_entropy(torch.ones(1, 2, 2),
                               torch.zeros(2, 2, dtype=torch.bool)),
     'no query row'),
    (lambda: head_kl_divergence(torch.ones(1, 2, 2)), 'at least 2 heads'),
    (lambda: head_kl_divergence(torch.ones(2, 2, 2), 'sym'), 'mode'),
])
def test_bad_inputs_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_large_kernel_heads_and_distance_match_numpy():
    gen = torch.Generator().manual_seed(7)
    weight = torch.randn(3, 1, 5, 3, generator=gen)
    w = weight.double().numpy().reshape(3, 15)
    soft = np.exp(w) / np.exp(w).sum(1, keepdims=True)
    absn = np.abs(w) / np.abs(w).sum(1, keepdims=True)
    np.testing.assert_allclose(large_kernel_heads(weight)[:, 0], soft)
    np.testing.assert_allclose(large_kernel_heads(weight, 'abs')[:, 0], absn)
    # offsets from the centre (2, 1), row-major, × dilation (2, 3)
    offsets = [((y - 2) * 2, (x - 1) * 3) for y in range(5) for x in range(3)]
    np.testing.assert_allclose(kernel_offsets((5, 3), (2, 3)), offsets)
    expected = [sum(p * 4 * math.hypot(*o) for p, o in zip(row, offsets))
                for row in soft]
    heads = large_kernel_heads(weight)
    np.testing.assert_allclose(
        large_kernel_distance(heads, (5, 3), stride=4, dilation=(2, 3)),
        expected)
    stats = large_kernel_statistics(weight, stride=4, dilation=(2, 3),
                                    kl_mode='to_mean')
    np.testing.assert_allclose(stats['distance'], expected)
    torch.testing.assert_close(stats['entropy'], brute_entropy(heads))
    torch.testing.assert_close(stats['kl'], brute_kl(heads, 'to_mean'))


def test_a_centred_delta_kernel_has_zero_distance_and_entropy():
    weight = torch.zeros(2, 1, 7, 7)
    weight[:, 0, 3, 3] = torch.tensor([1., -2.])
    stats = large_kernel_statistics(weight, stride=8, normalize='abs')
    torch.testing.assert_close(stats['distance'],
                               torch.zeros(2, dtype=torch.float64))
    torch.testing.assert_close(stats['entropy'],
                               torch.zeros(2, dtype=torch.float64))
    torch.testing.assert_close(stats['kl'],
                               torch.zeros(2, dtype=torch.float64))


def test_large_kernel_bad_inputs_raise():
    with pytest.raises(ValueError, match='depthwise kernel'):
        large_kernel_heads(torch.ones(2, 3, 3, 3))
    with pytest.raises(ValueError, match='all-zero channel'):
        large_kernel_heads(torch.zeros(1, 1, 3, 3), 'abs')
    with pytest.raises(ValueError, match='normalize'):
        large_kernel_heads(torch.ones(1, 1, 3, 3), 'l2')
    with pytest.raises(ValueError, match='heads must be'):
        large_kernel_distance(torch.ones(2, 1, 8) / 8, (3, 3))

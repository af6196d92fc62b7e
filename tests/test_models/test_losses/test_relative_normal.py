"""Edge-aware relative normal loss: the loss on fixed pairs against a loop,
the edge maps and the sampling geometry, the degenerate cases."""
import math

import pytest
import torch

from sgmim.models.losses import (edge_maps, relative_normal_loss,
                                 sample_edge_guided_pairs,
                                 sample_relative_normal_pairs)


def unit_normals(shape, seed):
    n = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    return n / n.norm(dim=1, keepdim=True)


def loop_loss(pred, pseudo, pairs):
    """mean over pairs of | |n̂_A·n̂_B| − |n_A·n_B| |, pixel by pixel."""
    _, _, height, width = pred.shape

    def at(normals, index):
        b, rest = divmod(index, height * width)
        r, c = divmod(rest, width)
        return [float(normals[b, k, r, c]) for k in range(3)]

    def cos(normals, a, b):
        return abs(sum(x * y for x, y in zip(at(normals, a),
                                             at(normals, b))))

    return sum(abs(cos(pseudo, a, b) - cos(pred, a, b))
               for a, b in pairs) / len(pairs)


def test_loss_matches_loop_on_fixed_pairs():
    pred = unit_normals((2, 3, 4, 5), 0).requires_grad_()
    pseudo = unit_normals((2, 3, 4, 5), 1)
    pairs = [(0, 1), (1, 7), (7, 19), (20, 39), (25, 26), (26, 30), (3, 3),
             (19, 20), (38, 21)]
    index_a = torch.tensor([a for a, _ in pairs])
    index_b = torch.tensor([b for _, b in pairs])
    loss = relative_normal_loss(pred, pseudo, index_a, index_b)
    assert loss.item() == pytest.approx(loop_loss(pred.detach(), pseudo,
                                                  pairs), rel=1e-6)
    loss.backward()
    assert torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0


def test_no_pairs_is_zero():
    pred = unit_normals((1, 3, 4, 4), 0).requires_grad_()
    empty = torch.zeros(0, dtype=torch.long)
    loss = relative_normal_loss(pred, pred.detach(), empty, empty)
    loss.backward()
    assert loss.item() == 0
    assert torch.equal(pred.grad, torch.zeros_like(pred))


def flat_scene(height=24, width=32):
    """A flat image, a constant depth and fronto-parallel normals: no
    edge anywhere."""
    image = torch.full((1, 3, height, width), 0.5)
    depth = torch.full((1, 1, height, width), 2.0)
    normals = torch.zeros(1, 3, height, width)
    normals[:, 2] = 1
    return image, depth, normals


def rows_cols(index, width):
    return index // width, index % width


def test_vertical_image_edge_sampling():
    """A step in R between columns 15 and 16: anchors on columns 15-16
    inside the 5 px border, points on the anchor's row, two left at 3-19
    px, two right; pairs (a, b), (b, c), (c, d)."""
    height, width = 24, 32
    image, depth, normals = flat_scene(height, width)
    image[:, 0, :, 16:] = 1.0
    edges, theta, normal_edges, _ = edge_maps(image, depth, normals)
    assert normal_edges.abs().max() == 0
    on = edges[0, 0] > 0
    assert on.nonzero()[:, 1].unique().tolist() == [15, 16]
    assert on.nonzero()[:, 0].unique().tolist() == list(range(5, 19))
    assert torch.allclose(theta[0, 0][on], torch.zeros(int(on.sum())))

    index_a, index_b = sample_relative_normal_pairs(
        image, depth, normals, generator=torch.Generator().manual_seed(0))
    n = 2 * 14  # anchors = edge pixels
    assert index_a.numel() == index_b.numel() == 3 * n
    assert torch.equal(index_b[:2 * n], index_a[n:])  # b, c shared
    a, b, c = index_a.view(3, n)
    d = index_b[2 * n:]
    (ra, ca), (rb, cb), (rc, cc), (rd, cd) = (rows_cols(p, width)
                                              for p in (a, b, c, d))
    assert torch.equal(ra, rb) and torch.equal(rb, rc) and torch.equal(rc, rd)
    assert ((ra >= 5) & (ra < 19)).all()
    for left in (ca, cb):
        assert ((left >= 15 - 19) & (left <= 16 - 3)).all()
    for right in (cc, cd):
        assert ((right >= 15 + 3) & (right <= 16 + 19)).all()
    assert ((cc - ca >= 6) & (cd - cb >= 6)).all()


@pytest.mark.parametrize('source', ['image', 'normals'])
@pytest.mark.parametrize('reference_direction', [False, True])
def test_diagonal_edge_direction(source, reference_direction):
    """An edge along the down-right diagonal (gradient up-right): the signed
    direction samples across it (row and column offsets of opposite sign),
    the reference's folded one along the down-right quadrant."""
    size = 64
    image, depth, normals = flat_scene(size, size)
    rows, cols = torch.meshgrid(torch.arange(size), torch.arange(size),
                                indexing='ij')
    side = cols - rows > 0
    if source == 'image':
        image[:, 0][:, side] = 1.0
    else:
        normals[:, 0][:, side] = 0.6
        normals[:, 2][:, side] = 0.8
    maps = edge_maps(image, depth, normals, border=16,
                     reference_direction=reference_direction)
    edges, theta = maps[:2] if source == 'image' else maps[2:]
    on = edges[0, 0] > 0
    assert on.any()
    expected = math.pi / 4 if reference_direction else -math.pi / 4
    assert torch.allclose(theta[0, 0][on], torch.full((int(on.sum()), ),
                                                      expected), atol=1e-5)
    index_a, index_b = sample_edge_guided_pairs(
        edges, theta, generator=torch.Generator().manual_seed(0))
    n = index_a.numel() // 3
    (ra, ca), (rd, cd) = (rows_cols(p, size)
                          for p in (index_a[:n], index_b[2 * n:]))
    product = (rd - ra) * (cd - ca)
    assert ((product > 0) if reference_direction else (product < 0)).all()
    if not reference_direction:  # a and d on opposite sides of the edge
        assert (side[ra, ca] != side[rd, cd]).all()


def test_depth_edges_remove_image_edges():
    """Image and pseudo-depth steps at the same place: the dilated depth
    edge removes the image edge, no pair, loss 0."""
    image, depth, normals = flat_scene()
    image[:, 0, :, 16:] = 1.0
    depth[:, :, :, 16:] = 3.0
    edges = edge_maps(image, depth, normals)[0]
    assert edges.max() == 0
    index_a, _ = sample_relative_normal_pairs(image, depth, normals)
    assert index_a.numel() == 0
    # one column away from the depth edge stays
    depth[:, :, :, 16:] = 2.0
    depth[:, :, :, 20:] = 3.0
    assert (edge_maps(image, depth, normals)[0][..., 15:17] > 0).any()


@pytest.mark.parametrize('case', ['flat', 'noise', 'tiny', 'zero_depth'])
def test_degenerate_inputs_give_zero(case):
    image, depth, normals = flat_scene()
    if case == 'noise':  # float noise below min_edge
        image = image + 1e-7 * torch.rand(image.shape)
        normals = normals + 1e-7 * torch.rand(normals.shape)
    elif case == 'tiny':  # an edge, but inside the 5 px border
        image, depth, normals = flat_scene(8, 8)
        image[:, 0, :, 4:] = 1.0
    elif case == 'zero_depth':
        depth = torch.zeros_like(depth)
        normals = torch.zeros_like(normals)
    index_a, index_b = sample_relative_normal_pairs(
        image, depth, normals, generator=torch.Generator().manual_seed(0))
    assert index_a.numel() == 0
    pred = unit_normals(normals.shape, 3).requires_grad_()
    loss = relative_normal_loss(pred, normals, index_a, index_b)
    loss.backward()
    assert loss.item() == 0 and torch.equal(pred.grad,
                                            torch.zeros_like(pred))


def test_edge_threshold_and_seeding():
    """Only pixels ≥ 0.1 · max are anchors; one generator seed, one set."""
    edges = torch.zeros(1, 1, 12, 12)
    edges[0, 0, 6, 6] = 1.0
    edges[0, 0, 3, 3] = 0.05  # below 0.1 · max
    theta = torch.zeros_like(edges)
    draws = [sample_edge_guided_pairs(
        edges, theta, generator=torch.Generator().manual_seed(s))
        for s in (0, 0)]
    index_a, index_b = draws[0]
    assert index_a.numel() == 3
    assert (index_a // 12 == 6).all() and (index_b // 12 == 6).all()
    assert torch.equal(draws[0][0], draws[1][0])


def test_bad_input():
    image, depth, normals = flat_scene()
    with pytest.raises(ValueError, match='pseudo_depth of shape'):
        edge_maps(image, depth[..., :5], normals)
    with pytest.raises(ValueError, match=r'pseudo_normals must be \(B, 3'):
        edge_maps(image, depth, normals[:, :2])
    with pytest.raises(ValueError, match='border must be'):
        edge_maps(image, depth, normals, border=-1)
    with pytest.raises(ValueError, match='min_distance < max_distance'):
        sample_edge_guided_pairs(depth, depth, min_distance=5,
                                 max_distance=5)
    with pytest.raises(ValueError, match='theta of shape'):
        sample_edge_guided_pairs(depth, depth[..., :3])
    with pytest.raises(ValueError, match='outside the 768 pixels'):
        relative_normal_loss(normals, normals, torch.tensor([0]),
                             torch.tensor([768]))

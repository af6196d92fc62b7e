"""surface_normals (kornia depth_to_normals) on analytic planes, and the
normal-matching term against its formula."""
import pytest
import torch

from sgmim.models.losses import normal_matching_loss, surface_normals

K = torch.tensor([[40., 0., 9.5], [0., 36., 7.5], [0., 0., 1.]],
                 dtype=torch.float64)


def plane_depth(normal, offset, height=16, width=20):
    """z of the plane n·X = d seen through K: z = d / (n · K⁻¹[u, v, 1]),
    and the camera-frame points X."""
    rows, cols = torch.meshgrid(torch.arange(height, dtype=torch.float64),
                                torch.arange(width, dtype=torch.float64),
                                indexing='ij')
    rays = torch.stack([(cols - K[0, 2]) / K[0, 0],
                        (rows - K[1, 2]) / K[1, 1], torch.ones_like(cols)])
    n = torch.tensor(normal, dtype=torch.float64)
    n = n / n.norm()
    z = offset / torch.einsum('c,chw->hw', n, rays)
    assert (z > 0).all()
    return z[None, None], (z * rays)[None], n


@pytest.mark.parametrize('normal,offset', [
    ((0., 0., 1.), 2.),        # fronto-parallel: (0, 0, 1)
    ((0.3, -0.4, 0.8), 1.5),   # tilted
    ((0.2, 0.5, 0.84), 3.),    # floor-like, seen from above
    ((-0.6, 0., 0.8), 2.),     # depth growing along the columns
])
def test_plane_normal(normal, offset):
    depth, points, n = plane_depth(normal, offset)
    got = surface_normals(depth, K[None])
    # exact on a plane, border pixels included
    assert torch.allclose(got[0], n[:, None, None].expand_as(got[0]),
                          atol=1e-10)
    assert ((got * points).sum(1) > 0).all()  # away from the camera


def test_plane_normal_sign_convention():
    """A plane written with its normal towards the camera (n·X = −d < 0)
    comes back with the opposite normal: the sign is fixed by n·X > 0."""
    n = torch.tensor([0.3, -0.4, 0.8], dtype=torch.float64)
    n = n / n.norm()
    depth, _, _ = plane_depth(tuple(n.tolist()), 1.5)
    got = surface_normals(depth, K[None])[0, :, 3, 4]
    toward_camera = -n  # the same plane as (−n)·X = −1.5
    assert torch.allclose(got, -toward_camera, atol=1e-10)


def test_plane_normal_float32_batch():
    first, _, n1 = plane_depth((0.3, -0.4, 0.8), 1.5)
    second, _, n2 = plane_depth((0., 0., 1.), 2.)
    depth = torch.cat([first, second]).float()
    got = surface_normals(depth, K[None].expand(2, 3, 3).float())
    assert got.dtype == torch.float32
    for b, n in enumerate((n1, n2)):
        assert torch.allclose(got[b].double(), n[:, None, None].expand(
            3, 16, 20), atol=2e-5)


def test_normal_matching_against_formula():
    g = torch.Generator().manual_seed(0)
    pred = torch.randn(2, 3, 4, 5, generator=g)
    pseudo = torch.randn(2, 3, 4, 5, generator=g)
    total, pixels = 0., 0
    for b in range(2):
        for r in range(4):
            for c in range(5):
                total += sum(abs(float(pred[b, k, r, c] - pseudo[b, k, r, c]))
                             for k in range(3)) / 3
                pixels += 1
    got = normal_matching_loss(pred, pseudo)
    assert got.item() == pytest.approx(total / pixels, rel=1e-6)


def test_normal_matching_gradient_only_to_prediction():
    pred = torch.randn(1, 3, 4, 4, requires_grad=True)
    pseudo = torch.randn(1, 3, 4, 4, requires_grad=True)
    normal_matching_loss(pred, pseudo).backward()
    assert pseudo.grad is None
    assert torch.allclose(pred.grad.abs(), torch.full_like(pred, 1 / 48))


def test_zero_depth_is_finite():
    depth = torch.zeros(1, 1, 4, 4, requires_grad=True)
    normals = surface_normals(depth, K[None].float())
    assert torch.equal(normals, torch.zeros_like(normals))
    loss = normal_matching_loss(normals, torch.ones_like(normals))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(depth.grad).all()


@pytest.mark.parametrize('depth,intrinsics,error,match', [
    (torch.ones(1, 2, 4, 4), K[None].float(), ValueError, 'depth must be'),
    (torch.ones(1, 1, 1, 4), K[None].float(), ValueError, 'H, W >= 2'),
    (torch.ones(1, 1, 4, 4, dtype=torch.long), K[None].float(), TypeError,
     'depth must be a floating'),
    (torch.ones(2, 1, 4, 4), K[None].float(), ValueError,
     r'intrinsics must be \(2, 3, 3\)'),
    (torch.ones(1, 1, 4, 4), None, ValueError, 'intrinsics.*NoneType'),
])
def test_surface_normals_bad_input(depth, intrinsics, error, match):
    with pytest.raises(error, match=match):
        surface_normals(depth, intrinsics)


def test_normal_matching_bad_input():
    with pytest.raises(ValueError, match='pseudo_normals of shape'):
        normal_matching_loss(torch.ones(1, 3, 4, 4), torch.ones(1, 3, 4, 5))
    with pytest.raises(ValueError, match=r'pred_normals must be \(B, 3'):
        normal_matching_loss(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 4, 4))

"""box_ssim against a NumPy loop of the 7×7 box form, and against kornia's
Gaussian-window SSIM within the window difference."""
import kornia
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sgmim.models.losses import box_ssim

C1, C2 = 0.01 ** 2, 0.03 ** 2


def loop_ssim(x, y, k=7):
    """Per pixel and channel: uniform k×k window on the reflect-padded
    images (NumPy's 'reflect' = torch's reflection padding), population
    moments."""
    p = k // 2
    out = np.zeros_like(x)
    for b in range(x.shape[0]):
        for c in range(x.shape[1]):
            xp = np.pad(x[b, c], p, mode='reflect')
            yp = np.pad(y[b, c], p, mode='reflect')
            for i in range(x.shape[2]):
                for j in range(x.shape[3]):
                    wx = xp[i:i + k, j:j + k]
                    wy = yp[i:i + k, j:j + k]
                    mx, my = wx.mean(), wy.mean()
                    vx, vy = wx.var(), wy.var()
                    cov = ((wx - mx) * (wy - my)).mean()
                    out[b, c, i, j] = ((2 * mx * my + C1) * (2 * cov + C2) /
                                       ((mx ** 2 + my ** 2 + C1) *
                                        (vx + vy + C2)))
    return out


def smooth_pair(seed=0, size=(2, 3, 24, 32)):
    """Smooth textures and a slightly changed copy (photometric-loss-like
    content)."""
    g = torch.Generator().manual_seed(seed)

    def blur(image):
        return F.avg_pool2d(F.pad(image, [2] * 4, mode='reflect'), 5, 1)

    x = torch.rand(size, generator=g, dtype=torch.float64)
    return blur(x), blur(x + 0.3 * torch.rand(size, generator=g,
                                              dtype=torch.float64))


@pytest.mark.parametrize('window', [7, 3])
def test_matches_the_numpy_loop(window):
    g = torch.Generator().manual_seed(1)
    x = torch.rand(1, 2, 9, 11, generator=g, dtype=torch.float64)
    y = (0.6 * x + 0.4 * torch.rand(x.shape, generator=g,
                                    dtype=torch.float64))
    np.testing.assert_allclose(box_ssim(x, y, window).numpy(),
                               loop_ssim(x.numpy(), y.numpy(), window),
                               rtol=1e-10, atol=1e-12)


def test_equals_kornia_where_the_window_does_not_matter():
    """Identical images (both 1) and flat images (σ = 0: both
    (2 μx μy + C1) / (μx² + μy² + C1)) leave the window weights out."""
    x = torch.rand(1, 3, 16, 16, dtype=torch.float64)
    torch.testing.assert_close(box_ssim(x, x), torch.ones_like(x))
    torch.testing.assert_close(kornia.metrics.ssim(x, x, 7, eps=0.0),
                               torch.ones_like(x))
    a = torch.full((1, 1, 12, 12), 0.3, dtype=torch.float64)
    b = torch.full_like(a, 0.7)
    flat = (2 * 0.3 * 0.7 + C1) / (0.3 ** 2 + 0.7 ** 2 + C1)
    torch.testing.assert_close(box_ssim(a, b), torch.full_like(a, flat))
    torch.testing.assert_close(kornia.metrics.ssim(a, b, 7, eps=0.0),
                               torch.full_like(a, flat))


def test_close_to_kornia_on_smooth_content():
    """kornia weights the 7×7 window by a Gaussian of σ = 1.5, this SSIM
    uniformly: on smooth textures (mean SSIM ≈ 0.92) the image means differ
    by < 0.005 and single pixels by < 0.15; on white noise the maps differ
    by ~0.1 on average."""
    x, y = smooth_pair()
    ours = box_ssim(x, y)
    theirs = kornia.metrics.ssim(x, y, 7, eps=0.0)
    assert 0.85 < ours.mean() < 0.97
    assert (ours - theirs).abs().max() < 0.15
    assert (ours.mean() - theirs.mean()).abs() < 0.005
    assert (ours - theirs).abs().max() > 1e-4  # but not the same window


@pytest.mark.parametrize('kwargs, pattern', [
    (dict(window_size=4), 'positive odd'),
    (dict(y=torch.rand(1, 3, 8, 9)), 'shapes differ'),
    (dict(x=torch.rand(3, 8, 8)), r'x must be a \(B, C, H, W\)'),
    (dict(x=torch.rand(1, 3, 3, 3), y=torch.rand(1, 3, 3, 3)),
     'too small'),
])
def test_bad_input_is_named(kwargs, pattern):
    args = dict(x=torch.rand(1, 3, 8, 8), y=torch.rand(1, 3, 8, 8))
    args.update(kwargs)
    with pytest.raises(ValueError, match=pattern):
        box_ssim(**args)

"""Depth-map post-processing: pseudo (monocular-like) depth, LiDAR-like
sparsification and integer encodings."""
import cv2
import numpy as np


def pseudo_depth(depth, rng, blur_fraction=0.015, scale_sigma=0.05,
                 field_sigma=0.08, noise_sigma=0.02):
    """Degrade ``depth`` like a monocular depth network's prediction.

    ``z' = (G_s * z) * exp(g + F) + n`` where ``G_s`` is a Gaussian blur
    with ``s = max(1, blur_fraction * W)`` px, ``g ~ N(0, scale_sigma^2)`` a
    global log-scale error, ``F`` a smooth log-scale field (bicubic upsampling
    of a 3x4 grid of ``N(0, field_sigma^2)``) and ``n ~ N(0, noise_sigma^2)``
    metres per pixel.  The result is clipped to ``>= 0.05`` m, float32.
    """
    h, w = depth.shape
    sigma = max(1.0, blur_fraction * w)
    blurred = cv2.GaussianBlur(depth.astype(np.float64), (0, 0), sigma,
                               borderType=cv2.BORDER_REFLECT)
    coarse = rng.normal(0.0, field_sigma, size=(3, 4))
    field = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    log_scale = rng.normal(0.0, scale_sigma) + field
    noise = rng.normal(0.0, noise_sigma, size=(h, w))
    return np.maximum(blurred * np.exp(log_scale) + noise,
                      0.05).astype(np.float32)


def lidar_mask(height, width, rng, num_rows=32, keep_prob=0.6,
               top_fraction=1 / 3):
    """Boolean mask of simulated LiDAR returns.

    ``num_rows`` scan rows evenly spaced over the image below
    ``top_fraction * H`` (a real LiDAR sees nothing above the horizon band);
    on a scan row each pixel returns with probability ``keep_prob``.
    """
    first = int(np.ceil(top_fraction * height))
    rows = np.unique(np.round(np.linspace(first, height - 1,
                                          num_rows)).astype(int))
    mask = np.zeros((height, width), bool)
    mask[rows] = rng.random((len(rows), width)) < keep_prob
    return mask


def to_uint16_mm(depth):
    """Metres -> uint16 millimetres (0 = invalid, saturating at 65535)."""
    mm = np.round(np.nan_to_num(depth, nan=0.0, posinf=0.0) * 1000.0)
    return np.clip(mm, 0, 65535).astype(np.uint16)


def to_kitti_uint16(depth, valid):
    """KITTI depth encoding: ``round(metres * 256)`` where valid, else 0."""
    value = np.clip(np.round(depth * 256.0), 1, 65535)
    return np.where(valid, value, 0).astype(np.uint16)

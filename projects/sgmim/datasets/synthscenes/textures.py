"""Procedural textures evaluated from metric surface coordinates, and shading.

Patterns (``Material.pattern``), with ``(u, v)`` in metres and period
``s = Material.scale``:

* ``plain``:   ``c1``
* ``checker``: ``c1`` if ``(floor(u/s) + floor(v/s))`` is even else ``c2``
* ``stripes``: ``c1`` if ``floor(u/s)`` is even else ``c2``
* ``noise``:   ``mix(c1, c2, fbm(u/s, v/s))``
* ``wood``:    ``mix(c1, c2, 0.5 + 0.5 sin(2 pi (u/s + 1.5 fbm(u/s, 4 v/s))))``

``fbm`` is 3-octave value noise: lattice values from an integer hash of
``(ix, iy, seed)``, blended with the smoothstep ``3x^2 - 2x^3``.
"""
from dataclasses import dataclass

import numpy as np

PATTERNS = ('plain', 'checker', 'stripes', 'noise', 'wood')

_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class Material:
    """Albedo pattern of a surface; colours are RGB in ``[0, 1]``."""

    pattern: str = 'plain'
    color: tuple = (0.7, 0.7, 0.7)
    color2: tuple = (0.4, 0.4, 0.4)
    scale: float = 0.5
    seed: int = 0

    def __post_init__(self):
        if self.pattern not in PATTERNS:
            raise ValueError(f'pattern: unknown pattern {self.pattern!r}, '
                             f'expected one of {PATTERNS}')
        if not self.scale > 0:
            raise ValueError(f'scale: must be > 0, got {self.scale}')


def _lattice_value(ix, iy, seed):
    """Hash integer lattice points to uniform values in ``[0, 1)``."""
    seed_mix = np.uint64((seed * 0x165667B19E3779F9) & _MASK64)
    h = (ix.astype(np.int64).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
         ^ iy.astype(np.int64).astype(np.uint64) * np.uint64(
             0xC2B2AE3D27D4EB4F) ^ seed_mix)
    h ^= h >> np.uint64(29)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(32)
    return (h >> np.uint64(11)).astype(np.float64) * 2.0**-53


def value_noise(x, y, seed):
    """Smoothly interpolated lattice noise in ``[0, 1]``."""
    ix, iy = np.floor(x), np.floor(y)
    fx, fy = x - ix, y - iy
    sx, sy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
    v00 = _lattice_value(ix, iy, seed)
    v10 = _lattice_value(ix + 1, iy, seed)
    v01 = _lattice_value(ix, iy + 1, seed)
    v11 = _lattice_value(ix + 1, iy + 1, seed)
    top = v00 + sx * (v10 - v00)
    bottom = v01 + sx * (v11 - v01)
    return top + sy * (bottom - top)


def fbm(x, y, seed, octaves=3):
    """Fractal sum of value noise, amplitudes ``2^-k``, normalised to [0,1]."""
    total = np.zeros_like(x)
    norm = 0.0
    for k in range(octaves):
        amp, freq = 0.5**k, 2.0**k
        total += amp * value_noise(x * freq, y * freq, seed + 7919 * k)
        norm += amp
    return total / norm


def _pattern_weight(material, u, v):
    """Blend weight of ``color2`` (0 = ``color``, 1 = ``color2``)."""
    if material.pattern == 'plain':
        return np.zeros_like(u)
    if material.pattern == 'checker':
        return ((np.floor(u) + np.floor(v)) % 2).astype(np.float64)
    if material.pattern == 'stripes':
        return (np.floor(u) % 2).astype(np.float64)
    if material.pattern == 'noise':
        return fbm(u, v, material.seed)
    bands = u + 1.5 * fbm(u, 4.0 * v, material.seed)
    return 0.5 + 0.5 * np.sin(2.0 * np.pi * bands)


def albedo(material, uv):
    """RGB albedo ``(N, 3)`` of ``material`` at surface coordinates ``uv``."""
    u = uv[:, 0] / material.scale
    v = uv[:, 1] / material.scale
    w = _pattern_weight(material, u, v)[:, None]
    c1 = np.asarray(material.color, float)
    c2 = np.asarray(material.color2, float)
    return (1.0 - w) * c1 + w * c2


def lambert(normal, points, light_position, intensity, ambient, visible,
            falloff_distance=4.0):
    """Irradiance factor of a point light plus ambient.

    ``E = ambient + I * visible * max(0, n . l) * R^2 / (R^2 + |L - p|^2)``
    with ``l = (L - p) / |L - p|`` and ``R`` = ``falloff_distance``.
    """
    to_light = np.asarray(light_position, float) - points
    dist2 = np.sum(to_light * to_light, axis=1)
    cos_theta = np.sum(normal * to_light, axis=1) / np.sqrt(dist2)
    r2 = falloff_distance**2
    direct = intensity * np.maximum(cos_theta, 0.0) * r2 / (r2 + dist2)
    return ambient + visible * direct

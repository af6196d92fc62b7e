"""Vectorised ray / primitive intersection.

A ray is ``p(t) = o + t d`` with ``o`` of shape ``(3,)`` (one origin, all
rays) or ``(N, 3)`` (one origin per ray) and ``d`` of shape ``(N, 3)``.
Directions need NOT be unit length: every function solves for the ray
parameter ``t`` of the unnormalised direction, so when the renderer scales
``d`` to have a camera-frame z component of 1, ``t`` is the z-depth.

Every function returns a :class:`Hit` whose ``t`` is ``inf`` where the ray
misses (or hits only at ``t <= T_MIN``), and whose normal is the unit normal
of the surface facing the ray origin (outward for solids seen from outside,
inward for the room seen from inside).  ``uv`` are metric surface
coordinates (metres along the surface) used for texturing; ``part`` tells
which face was hit when a primitive has several (see each function).

World frame: ``y`` is up, the floor is the plane ``y = 0``.
"""
from typing import NamedTuple

import numpy as np

#: Smallest accepted ray parameter (avoids self-intersection).
T_MIN = 1e-6

#: Room faces in the order of the ``part`` index returned for the room.
ROOM_FACES = ('x-', 'x+', 'y-', 'y+', 'z-', 'z+')


class Hit(NamedTuple):
    """Nearest intersection of each ray with one primitive."""

    t: np.ndarray  # (N,) ray parameter, inf = miss
    normal: np.ndarray  # (N, 3) unit normal in world frame
    uv: np.ndarray  # (N, 2) metric surface coordinates
    part: np.ndarray  # (N,) int8 face index within the primitive


def yaw_matrix(yaw):
    """Rotation by ``yaw`` radians about the vertical ``y`` axis.

    ``R_y(yaw) = [[cos, 0, sin], [0, 1, 0], [-sin, 0, cos]]``.
    """
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _safe_reciprocal(x):
    """``1 / x`` with exact zeros replaced by ``1e-30`` (a huge ``t``)."""
    return 1.0 / np.where(x == 0.0, 1e-30, x)


def _rowwise_dot(vectors, other):
    """``vectors_i . other_i`` (``vectors_i . other`` for a single vector)."""
    if other.ndim == 1:
        return vectors @ other
    return np.einsum('ij,ij->i', vectors, other)


def _empty_hit(n):
    return Hit(np.full(n, np.inf), np.zeros((n, 3)), np.zeros((n, 2)),
               np.zeros(n, np.int8))


def intersect_room_interior(origin, dirs, lo, hi):
    """Exit point of rays starting inside the axis-aligned box ``[lo, hi]``.

    For an origin strictly inside the box, along each axis ``a`` the ray
    reaches the plane ``x_a = hi_a`` (if ``d_a > 0``) or ``x_a = lo_a``
    (if ``d_a < 0``) at ``t_a = (plane_a - o_a) / d_a`` (``inf`` if
    ``d_a = 0``); it leaves the box
    at ``t = min_a t_a``.  The normal of the face hit points into the room:
    ``n = -sign(d_a) e_a``.  ``part`` indexes :data:`ROOM_FACES`
    (``2 * a + (d_a > 0)``): 2 is the floor, 3 the ceiling, the rest walls.
    ``uv`` are the two in-plane world coordinates of the hit point.
    """
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    positive = dirs > 0
    plane = np.where(positive, hi, lo)
    t_axes = np.divide(plane - origin, dirs, out=np.full(dirs.shape, np.inf),
                       where=dirs != 0)
    axis = np.argmin(t_axes, axis=1)
    rows = np.arange(len(dirs))
    t = t_axes[rows, axis]
    sign = np.where(positive[rows, axis], 1.0, -1.0)
    normal = np.zeros_like(dirs)
    normal[rows, axis] = -sign
    point = origin + t[:, None] * dirs
    # In-plane coordinates: drop the hit axis, keep the other two in order.
    keep = np.array([[1, 2], [0, 2], [0, 1]])[axis]
    uv = np.take_along_axis(point, keep, axis=1)
    part = (2 * axis + positive[rows, axis]).astype(np.int8)
    t = np.where(t > T_MIN, t, np.inf)
    return Hit(t, normal, uv, part)


def ray_meets_sphere(origin, dirs, center, radius):
    """Whether the ray reaches the ball ``|p - c| <= r`` at some ``t > T_MIN``.

    Same quadratic as :func:`intersect_sphere`, tested on its far root
    ``(-b + sqrt(b^2 - 4 a c0)) / (2 a)`` so origins inside the ball count.
    Used as a conservative bounding-volume test.
    """
    offset = origin - np.asarray(center, float)
    a = _rowwise_dot(dirs, dirs)
    b = 2.0 * _rowwise_dot(dirs, offset)
    c0 = np.sum(offset * offset, axis=-1) - radius * radius
    disc = b * b - 4.0 * a * c0
    far = (-b + np.sqrt(np.maximum(disc, 0.0))) / (2.0 * a)
    return (disc >= 0.0) & (far > T_MIN)


def intersect_box(origin, dirs, center, half_size, yaw):
    """Slab test against a box rotated by ``yaw`` about the vertical axis.

    In box coordinates ``q = R_y(yaw)^T (p - c)`` the box is
    ``|q_a| <= h_a``.  Per axis the ray enters/leaves the slab at
    ``t = (+-h_a - q_o,a) / q_d,a``; the hit is
    ``t_near = max_a min(t1_a, t2_a)`` when ``t_near <= t_far =
    min_a max(t1_a, t2_a)``.  The normal is ``-sign(q_d,a) e_a`` of the axis
    giving ``t_near``, rotated back to world; ``part`` is that axis.
    """
    rot = yaw_matrix(yaw)
    half = np.asarray(half_size, float)
    q_origin = (origin - np.asarray(center, float)) @ rot
    q_dirs = dirs @ rot
    inv = _safe_reciprocal(q_dirs)
    t1 = (-half - q_origin) * inv
    t2 = (half - q_origin) * inv
    t_enter = np.minimum(t1, t2)
    t_near = t_enter.max(axis=1)
    t_far = np.maximum(t1, t2).min(axis=1)
    hit = (t_near <= t_far) & (t_near > T_MIN)
    axis = np.argmax(t_enter, axis=1)
    rows = np.arange(len(dirs))
    local_normal = np.zeros_like(q_dirs)
    local_normal[rows, axis] = -np.sign(q_dirs[rows, axis])
    q_point = q_origin + t_near[:, None] * q_dirs
    keep = np.array([[2, 1], [0, 2], [0, 1]])[axis]
    uv = np.take_along_axis(q_point, keep, axis=1) + half[keep]
    return Hit(np.where(hit, t_near, np.inf), local_normal @ rot.T, uv,
               axis.astype(np.int8))


def intersect_sphere(origin, dirs, center, radius):
    """Nearest root of ``|o + t d - c|^2 = r^2``.

    ``a t^2 + b t + c0 = 0`` with ``a = d.d``, ``b = 2 d.(o - c)``,
    ``c0 = |o - c|^2 - r^2``; the visible hit from outside is
    ``t = (-b - sqrt(b^2 - 4 a c0)) / (2 a)``.  Normal ``(p - c) / r``;
    ``uv = r * (atan2(n_x, n_z), asin(n_y))`` (arc lengths).
    """
    center = np.asarray(center, float)
    offset = origin - center
    a = _rowwise_dot(dirs, dirs)
    b = 2.0 * _rowwise_dot(dirs, offset)
    c0 = np.sum(offset * offset, axis=-1) - radius * radius
    disc = b * b - 4.0 * a * c0
    root = np.sqrt(np.maximum(disc, 0.0))
    t = (-b - root) / (2.0 * a)
    hit = (disc >= 0.0) & (t > T_MIN)
    normal = (origin + t[:, None] * dirs - center) / radius
    uv = radius * np.stack([np.arctan2(normal[:, 0], normal[:, 2]),
                            np.arcsin(np.clip(normal[:, 1], -1.0, 1.0))],
                           axis=1)
    return Hit(np.where(hit, t, np.inf), normal, uv,
               np.zeros(len(dirs), np.int8))


def intersect_cylinder(origin, dirs, base_center, radius, height):
    """Closed vertical cylinder: axis through ``base_center``, height ``h``.

    Side: ``(o_x + t d_x - c_x)^2 + (o_z + t d_z - c_z)^2 = r^2`` (nearest
    root, accepted if ``y0 <= y <= y0 + h``), normal ``(p_x - c_x, 0,
    p_z - c_z) / r``.  Caps: ``t = (y_cap - o_y) / d_y`` accepted if the
    radial distance is ``<= r``, normal ``-+e_y``.  The visible hit is the
    smallest accepted ``t``.  ``part``: 0 side, 1 bottom cap, 2 top cap.
    """
    base = np.asarray(base_center, float)
    n = len(dirs)
    best = _empty_hit(n)
    best = _closer(best, _cylinder_side(origin, dirs, base, radius, height))
    for part, cap_y in ((1, base[1]), (2, base[1] + height)):
        best = _closer(best, _cylinder_cap(origin, dirs, base, radius, cap_y,
                                           part))
    return best


def _cylinder_side(origin, dirs, base, radius, height):
    rel_x = origin[..., 0] - base[0]
    rel_z = origin[..., 2] - base[2]
    a = dirs[:, 0] ** 2 + dirs[:, 2] ** 2
    b = 2.0 * (dirs[:, 0] * rel_x + dirs[:, 2] * rel_z)
    c0 = rel_x ** 2 + rel_z ** 2 - radius * radius
    disc = b * b - 4.0 * a * c0
    t = (-b - np.sqrt(np.maximum(disc, 0.0))) / (2.0 * np.maximum(a, 1e-30))
    y = origin[..., 1] + t * dirs[:, 1]
    hit = (disc >= 0.0) & (a > 0.0) & (t > T_MIN) & (y >= base[1]) & (
        y <= base[1] + height)
    px = rel_x + t * dirs[:, 0]
    pz = rel_z + t * dirs[:, 2]
    normal = np.stack([px, np.zeros_like(px), pz], axis=1) / radius
    uv = np.stack([radius * np.arctan2(px, pz), y - base[1]], axis=1)
    return Hit(np.where(hit, t, np.inf), normal, uv,
               np.zeros(len(dirs), np.int8))


def _cylinder_cap(origin, dirs, base, radius, cap_y, part):
    t = (cap_y - origin[..., 1]) * _safe_reciprocal(dirs[:, 1])
    px = origin[..., 0] + t * dirs[:, 0] - base[0]
    pz = origin[..., 2] + t * dirs[:, 2] - base[2]
    hit = (t > T_MIN) & (px ** 2 + pz ** 2 <= radius * radius)
    normal = np.zeros_like(dirs)
    normal[:, 1] = -np.sign(dirs[:, 1])
    return Hit(np.where(hit, t, np.inf), normal, np.stack([px, pz], axis=1),
               np.full(len(dirs), part, np.int8))


def _closer(a, b):
    """Per ray, the hit with the smaller ``t`` of two hits."""
    take_b = b.t < a.t
    return Hit(np.where(take_b, b.t, a.t),
               np.where(take_b[:, None], b.normal, a.normal),
               np.where(take_b[:, None], b.uv, a.uv),
               np.where(take_b, b.part, a.part))

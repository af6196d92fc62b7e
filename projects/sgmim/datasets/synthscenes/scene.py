"""Scene model: a box-shaped room, solid objects, one point light, a camera.

World frame: ``y`` up, floor ``y = 0``, the room spans
``x in [-W/2, W/2]``, ``z in [-D/2, D/2]``, ``y in [0, H]``.

Camera frame (OpenCV): ``x`` right, ``y`` down, ``z`` forward along the
optical axis.  Pixel centres sit at integer coordinates ``(u, v)``, and the
pinhole intrinsics built from a horizontal field of view are
``f = (W / 2) / tan(hfov / 2)``, ``c_x = (W - 1) / 2``, ``c_y = (H - 1) / 2``.
The pixel ray has camera-frame direction
``((u - c_x) / f, (v - c_y) / f, 1)``; with this scaling the ray parameter
of a hit equals its z-depth.
"""
from dataclasses import dataclass

import numpy as np

from .geometry import (intersect_box, intersect_cylinder,
                       intersect_room_interior, intersect_sphere)
from .textures import Material


@dataclass(frozen=True)
class Room:
    """Axis-aligned room seen from inside; floor at ``y = 0``."""

    width: float
    depth: float
    height: float
    wall: Material = Material()
    floor: Material = Material('checker', (0.6, 0.6, 0.6), (0.3, 0.3, 0.3))
    ceiling: Material = Material(color=(0.9, 0.9, 0.9))

    @property
    def lo(self):
        return np.array([-self.width / 2, 0.0, -self.depth / 2])

    @property
    def hi(self):
        return np.array([self.width / 2, self.height, self.depth / 2])

    def intersect(self, origin, dirs):
        return intersect_room_interior(origin, dirs, self.lo, self.hi)

    def contains(self, point, margin=0.0):
        """Whether ``point`` is inside the room, ``margin`` from every face."""
        point = np.asarray(point, float)
        return bool(np.all(point > self.lo + margin)
                    and np.all(point < self.hi - margin))


@dataclass(frozen=True)
class Box:
    """Box of half extents ``half_size`` rotated by ``yaw`` about ``y``."""

    center: tuple
    half_size: tuple
    yaw: float = 0.0
    kind: str = 'box'
    material: Material = Material()

    def intersect(self, origin, dirs):
        return intersect_box(origin, dirs, self.center, self.half_size,
                             self.yaw)

    @property
    def footprint_radius(self):
        """Radius of the vertical cylinder around the box (floor plan)."""
        return float(np.hypot(self.half_size[0], self.half_size[2]))

    @property
    def bounding_radius(self):
        """Radius of the ball around :attr:`center` enclosing the box."""
        return float(np.linalg.norm(self.half_size))


@dataclass(frozen=True)
class Sphere:
    center: tuple
    radius: float
    kind: str = 'ball'
    material: Material = Material()

    def intersect(self, origin, dirs):
        return intersect_sphere(origin, dirs, self.center, self.radius)

    @property
    def footprint_radius(self):
        return float(self.radius)

    @property
    def bounding_radius(self):
        return float(self.radius)


@dataclass(frozen=True)
class Cylinder:
    """Closed vertical cylinder standing on ``base_center``."""

    base_center: tuple
    radius: float
    height: float
    kind: str = 'vase'
    material: Material = Material()

    @property
    def center(self):
        x, y, z = self.base_center
        return (x, y + self.height / 2, z)

    def intersect(self, origin, dirs):
        return intersect_cylinder(origin, dirs, self.base_center, self.radius,
                                  self.height)

    @property
    def footprint_radius(self):
        return float(self.radius)

    @property
    def bounding_radius(self):
        return float(np.hypot(self.radius, self.height / 2))


@dataclass(frozen=True)
class Light:
    """Point light with Lambertian falloff plus a constant ambient term."""

    position: tuple
    intensity: float = 1.0
    ambient: float = 0.3


@dataclass(frozen=True)
class Scene:
    """A room, its objects (instance ids ``1..N`` in order) and a light.

    Without an explicit light, one is placed 0.3 m below the ceiling centre.
    """

    room: Room
    objects: tuple = ()
    light: Light = None

    def __post_init__(self):
        object.__setattr__(self, 'objects', tuple(self.objects))
        if self.light is None:
            object.__setattr__(
                self, 'light',
                Light((0.0, max(self.room.height - 0.3, 0.0), 0.0)))


def intrinsics_from_fov(width, height, hfov):
    """``K``: ``f = (W/2) / tan(hfov/2)``, centre ``((W-1)/2, (H-1)/2)``."""
    f = (width / 2.0) / np.tan(hfov / 2.0)
    return np.array([[f, 0.0, (width - 1) / 2.0],
                     [0.0, f, (height - 1) / 2.0],
                     [0.0, 0.0, 1.0]])


def camera_rotation(yaw, pitch, roll):
    """Camera-to-world rotation ``R = [r' d' f]`` (columns = camera axes).

    Forward ``f = (sin(yaw) cos(pitch), sin(pitch), cos(yaw) cos(pitch))``
    (pitch > 0 looks up; yaw = 0 looks along ``+z``), right
    ``r = (-cos(yaw), 0, sin(yaw))`` (= ``f x e_y`` normalised), down
    ``d = f x r``; roll rotates the image axes about ``f``:
    ``r' = cos(roll) r + sin(roll) d``, ``d' = -sin(roll) r + cos(roll) d``.
    """
    forward = np.array([np.sin(yaw) * np.cos(pitch), np.sin(pitch),
                        np.cos(yaw) * np.cos(pitch)])
    right = np.array([-np.cos(yaw), 0.0, np.sin(yaw)])
    down = np.cross(forward, right)
    c, s = np.cos(roll), np.sin(roll)
    return np.stack([c * right + s * down, -s * right + c * down, forward],
                    axis=1)


@dataclass(frozen=True, eq=False)
class Camera:
    """Pinhole camera: intrinsics ``K`` and camera-to-world ``pose`` 4x4."""

    K: np.ndarray
    pose: np.ndarray
    width: int
    height: int

    @classmethod
    def from_fov(cls, width, height, hfov, position, yaw=0.0, pitch=0.0,
                 roll=0.0):
        """Camera at ``position`` with angles in radians (see
        :func:`camera_rotation`)."""
        pose = np.eye(4)
        pose[:3, :3] = camera_rotation(yaw, pitch, roll)
        pose[:3, 3] = position
        return cls(intrinsics_from_fov(width, height, hfov), pose, int(width),
                   int(height))

    @property
    def position(self):
        return self.pose[:3, 3]

    @property
    def rotation(self):
        return self.pose[:3, :3]

    def image_plane_coordinates(self):
        """``((u - c_x) / f_x, (v - c_y) / f_y)`` of every pixel ``(u, v)``,
        ``(H*W, 2)`` row-major: the camera-frame ray at unit z-depth."""
        v, u = np.mgrid[0:self.height, 0:self.width].astype(np.float64)
        fx, fy = self.K[0, 0], self.K[1, 1]
        cx, cy = self.K[0, 2], self.K[1, 2]
        return np.stack([(u - cx) / fx, (v - cy) / fy], axis=-1).reshape(-1, 2)

    def ray_directions(self):
        """World directions ``(H*W, 3)``, row-major, with unit camera-z."""
        xy = self.image_plane_coordinates()
        cam = np.concatenate([xy, np.ones((len(xy), 1))], axis=1)
        return cam @ self.rotation.T

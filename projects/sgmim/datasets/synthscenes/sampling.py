"""Random scenes, cameras and smooth camera trajectories.

Everything is drawn from a caller-supplied ``numpy.random.Generator`` so a
view is a pure function of its generator state.  Angles are in radians.
"""
import colorsys
from dataclasses import dataclass

import numpy as np

from .scene import Box, Camera, Cylinder, Light, Room, Scene, Sphere
from .textures import Material


@dataclass(frozen=True)
class Style:
    """Palette and object mix of a scene category."""

    object_weights: dict  # kind -> relative frequency
    wall_hue: tuple  # hue range in [0, 1]
    wall_patterns: tuple
    floor_patterns: tuple
    floor_hue: tuple
    object_saturation: tuple


STYLES = {
    'bedroom': Style({'cabinet': 2, 'box': 3, 'ball': 2, 'vase': 1},
                     (0.55, 0.95), ('plain', 'stripes', 'noise'),
                     ('wood', 'noise'), (0.05, 0.12), (0.3, 0.7)),
    'kitchen': Style({'cabinet': 4, 'box': 1, 'ball': 1, 'vase': 3},
                     (0.1, 0.2), ('plain', 'checker'), ('checker', 'plain'),
                     (0.0, 1.0), (0.1, 0.5)),
    'living_room': Style({'cabinet': 2, 'box': 2, 'ball': 1, 'vase': 2},
                         (0.0, 0.15), ('plain', 'noise', 'stripes'),
                         ('wood', 'checker'), (0.06, 0.1), (0.4, 0.8)),
    'office': Style({'cabinet': 3, 'box': 4, 'ball': 1, 'vase': 1},
                    (0.5, 0.65), ('plain', 'noise'), ('noise', 'plain'),
                    (0.55, 0.7), (0.05, 0.35)),
}

#: Scene categories, sorted; their index is the classification label.
STYLE_NAMES = tuple(sorted(STYLES))

#: Clearance kept between the camera and walls / object footprints (metres).
CLEARANCE = 0.3

#: Gap kept between object footprints and walls (metres).
PLACEMENT_GAP = 0.05

#: Most objects a scene may hold (more would leave no room for the camera).
MAX_OBJECTS = 20

#: Preferred horizontal distance between the camera and what it looks at.
MIN_VIEW_DISTANCE = 1.5


def _colour(rng, hue, saturation, value):
    return colorsys.hsv_to_rgb(rng.uniform(*hue), rng.uniform(*saturation),
                               rng.uniform(*value))


def _material(rng, patterns, hue, saturation, value=(0.45, 0.95)):
    """Material with two related colours (same hue family)."""
    base = _colour(rng, hue, saturation, value)
    second = tuple(0.55 * c for c in _colour(rng, hue, saturation, value))
    return Material(str(rng.choice(patterns)), base, second,
                    float(rng.uniform(0.15, 0.6)), int(rng.integers(2**31)))


def sample_room(rng, style):
    return Room(
        width=float(rng.uniform(4.0, 8.0)),
        depth=float(rng.uniform(4.0, 8.0)),
        height=float(rng.uniform(2.6, 3.2)),
        wall=_material(rng, style.wall_patterns, style.wall_hue, (0.05, 0.3),
                       (0.6, 0.95)),
        floor=_material(rng, style.floor_patterns, style.floor_hue,
                        (0.2, 0.6), (0.35, 0.8)),
        ceiling=Material('plain', _colour(rng, (0, 1), (0, 0.05), (0.85, 1)),
                         seed=int(rng.integers(2**31))))


def _object_material(rng, style):
    return _material(rng, ('plain', 'checker', 'stripes', 'noise', 'wood'),
                     (0.0, 1.0), style.object_saturation)


def _sample_object(rng, kind, x, z, material):
    """An object of ``kind`` standing (or floating) above ``(x, z)``."""
    if kind == 'cabinet':
        half = (float(rng.uniform(0.3, 0.6)), float(rng.uniform(0.4, 1.0)),
                float(rng.uniform(0.2, 0.35)))
        return Box((x, half[1], z), half, float(rng.uniform(0, np.pi)),
                   'cabinet', material)
    if kind == 'box':
        half = tuple(float(v) for v in rng.uniform(0.1, 0.3, size=3))
        return Box((x, half[1], z), half, float(rng.uniform(0, np.pi)), 'box',
                   material)
    if kind == 'ball':
        radius = float(rng.uniform(0.1, 0.4))
        floating = rng.random() < 0.3
        y = rng.uniform(0.5, 2.0) if floating else radius
        return Sphere((x, float(y), z), radius, 'ball', material)
    return Cylinder((x, 0.0, z), float(rng.uniform(0.1, 0.3)),
                    float(rng.uniform(0.3, 1.0)), 'vase', material)


def _fits(obj, room, placed):
    """Footprint inside the room and clear of every placed footprint."""
    x, _, z = obj.center
    r = obj.footprint_radius
    if (abs(x) + r > room.width / 2 - PLACEMENT_GAP
            or abs(z) + r > room.depth / 2 - PLACEMENT_GAP):
        return False
    return all(
        np.hypot(x - o.center[0], z - o.center[2]) > r + o.footprint_radius +
        PLACEMENT_GAP for o in placed)


def sample_scene(rng, style_name, min_objects=3, max_objects=7, attempts=50):
    """Random room of ``style_name`` with ``min..max`` non-overlapping objects.

    An object that cannot be placed after ``attempts`` draws is dropped, so
    very crowded requests may yield fewer objects.
    """
    style = STYLES[style_name]
    room = sample_room(rng, style)
    kinds = tuple(style.object_weights)
    weights = np.array([style.object_weights[k] for k in kinds], float)
    count = int(rng.integers(min_objects, max_objects + 1))
    placed = []
    for _ in range(count):
        kind = str(rng.choice(kinds, p=weights / weights.sum()))
        material = _object_material(rng, style)
        for _ in range(attempts):
            x = rng.uniform(-room.width / 2, room.width / 2)
            z = rng.uniform(-room.depth / 2, room.depth / 2)
            obj = _sample_object(rng, kind, float(x), float(z), material)
            if _fits(obj, room, placed):
                placed.append(obj)
                break
    light = Light((float(rng.uniform(-0.3, 0.3) * room.width),
                   room.height - 0.25,
                   float(rng.uniform(-0.3, 0.3) * room.depth)),
                  intensity=float(rng.uniform(0.8, 1.1)),
                  ambient=float(rng.uniform(0.25, 0.4)))
    return Scene(room, tuple(placed), light)


def camera_position_is_free(scene, position):
    """Inside the room and at least :data:`CLEARANCE` from every object's
    footprint cylinder (so the camera is never inside an object)."""
    if not scene.room.contains(position, CLEARANCE):
        return False
    x, _, z = position
    return all(
        np.hypot(x - o.center[0], z - o.center[2]) > o.footprint_radius +
        CLEARANCE for o in scene.objects)


def _look_target(rng, scene):
    """A random object's centre (usually) or a point near the room centre."""
    if scene.objects and rng.random() < 0.85:
        return np.asarray(scene.objects[rng.integers(len(scene.objects))]
                          .center, float)
    room = scene.room
    return np.array([rng.uniform(-0.25, 0.25) * room.width, 1.0,
                     rng.uniform(-0.25, 0.25) * room.depth])


def _free_grid_position(rng, scene, height):
    """A random free position among a 0.1 m grid over the floor plan."""
    room = scene.room
    free = [(x, height, z)
            for x in np.arange(-room.width / 2, room.width / 2, 0.1)
            for z in np.arange(-room.depth / 2, room.depth / 2, 0.1)
            if camera_position_is_free(scene, (x, height, z))]
    if not free:
        raise RuntimeError('scene too crowded: no free camera position')
    return np.array(free[rng.integers(len(free))])


def _free_position(rng, scene, height_range, target, attempts=200):
    """A free camera position, preferably >= MIN_VIEW_DISTANCE from
    ``target`` horizontally (the constraint is dropped after half the
    random attempts, and a grid search follows if all of them fail)."""
    room = scene.room
    for attempt in range(attempts):
        position = np.array([
            rng.uniform(-room.width / 2, room.width / 2),
            rng.uniform(*height_range),
            rng.uniform(-room.depth / 2, room.depth / 2)
        ])
        far_enough = np.hypot(*(position - target)[[0, 2]]) >= (
            MIN_VIEW_DISTANCE)
        if camera_position_is_free(scene, position) and (
                far_enough or attempt >= attempts // 2):
            return position
    return _free_grid_position(rng, scene, np.mean(height_range))


def _look_angles(rng, position, target):
    """Yaw/pitch/roll looking at ``target`` with random jitter."""
    delta = target - position
    yaw = np.arctan2(delta[0], delta[2]) + rng.uniform(-0.35, 0.35)
    pitch = np.arctan2(delta[1], np.hypot(delta[0], delta[2]))
    pitch = np.clip(pitch + rng.uniform(-0.1, 0.1), -0.4, 0.15)
    return float(yaw), float(pitch), float(rng.uniform(-0.05, 0.05))


def _sample_viewpoint(rng, scene, height_range):
    target = _look_target(rng, scene)
    position = _free_position(rng, scene, height_range, target)
    return position, _look_angles(rng, position, target)


def sample_camera(rng, scene, width, height, hfov_range=(55.0, 70.0),
                  height_range=(1.0, 1.7)):
    """Pinhole camera at a free position ``height_range`` metres above the
    floor, horizontal FOV uniform in ``hfov_range`` degrees, looking roughly
    horizontally towards an object (yaw jitter +-0.35 rad, pitch clipped to
    [-0.4, 0.15] rad, roll within +-0.05 rad)."""
    hfov = np.radians(rng.uniform(*hfov_range))
    position, (yaw, pitch, roll) = _sample_viewpoint(rng, scene, height_range)
    return Camera.from_fov(width, height, hfov, position, yaw, pitch, roll)


@dataclass(frozen=True)
class Trajectory:
    """Smooth camera motion along a circular arc at constant speed.

    Frame ``k``: ``yaw_k = yaw_0 + k w``, position
    ``p_k = p_0 + sum_{j<k} v (sin yaw_j, 0, cos yaw_j)
    + (0, a sin(0.8 k), 0)``; pitch and roll are constant.
    """

    start: tuple
    yaw: float
    pitch: float
    roll: float
    speed: float  # metres per frame
    yaw_rate: float  # radians per frame
    bob: float  # vertical oscillation amplitude (metres)

    def yaw_at(self, frame):
        return self.yaw + frame * self.yaw_rate

    def position_at(self, frame):
        yaws = self.yaw + np.arange(frame) * self.yaw_rate
        step = self.speed * np.stack(
            [np.sin(yaws), np.zeros_like(yaws), np.cos(yaws)], axis=1)
        bob = np.array([0.0, self.bob * np.sin(0.8 * frame), 0.0])
        return np.asarray(self.start, float) + step.sum(axis=0) + bob

    def camera(self, frame, width, height, hfov):
        return Camera.from_fov(width, height, hfov, self.position_at(frame),
                               self.yaw_at(frame), self.pitch, self.roll)


def sample_trajectory(rng, scene, num_frames, speed_range=(0.05, 0.15),
                      height_range=(1.0, 1.7), attempts=100):
    """A trajectory whose every frame position is free (see
    :func:`camera_position_is_free`); falls back to a camera rotating in
    place when no moving one fits."""
    for _ in range(attempts):
        start, (yaw, pitch, roll) = _sample_viewpoint(rng, scene,
                                                      height_range)
        trajectory = Trajectory(tuple(start), yaw, pitch, roll,
                                float(rng.uniform(*speed_range)),
                                float(rng.uniform(-0.05, 0.05)),
                                float(rng.uniform(0.0, 0.02)))
        if all(camera_position_is_free(scene, trajectory.position_at(k))
               for k in range(num_frames)):
            return trajectory
    return Trajectory(tuple(start), yaw, pitch, roll, 0.0, 0.05, 0.0)

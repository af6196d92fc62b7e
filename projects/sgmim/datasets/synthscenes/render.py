"""Ray-cast one view of a scene into image-aligned arrays."""
import numpy as np

from .classes import ade_label
from .geometry import ROOM_FACES, ray_meets_sphere
from .textures import albedo, lambert

#: Offset along the normal of shadow-ray origins (metres).
SHADOW_BIAS = 1e-4

_ROOM_PART_SURFACE = {ROOM_FACES.index('y-'): 'floor',
                      ROOM_FACES.index('y+'): 'ceiling'}


#: ``render_view(texture_space=...)``: where the albedo patterns are
#: evaluated. ``'surface'``: metric coordinates on each surface, so a
#: pattern foreshortens and shrinks with distance as a painted one does.
#: ``'screen'``: as if every surface were a fronto-parallel plane
#: ``SCREEN_TEXTURE_DISTANCE`` metres away, so the pattern is fixed to the
#: image and says nothing about depth or orientation (nor moves with the
#: camera).
TEXTURE_SPACES = ('surface', 'screen')
SCREEN_TEXTURE_DISTANCE = 3.0


#: Relative inflation of bounding balls (keeps the cull conservative).
_BOUND_INFLATION = 1.0 + 1e-6


def _candidate_rays(obj, origin, dirs):
    """Indices of rays that meet ``obj``'s bounding ball; the others cannot
    hit it, so exact tests run on these only."""
    radius = obj.bounding_radius * _BOUND_INFLATION + 1e-9
    return np.flatnonzero(ray_meets_sphere(origin, dirs, obj.center, radius))


def _ray_subset(origin, rays):
    return origin if origin.ndim == 1 else origin[rays]


def _nearest_hits(scene, origin, dirs):
    """Z-buffer over the room and all objects.

    Returns ``t, normal, uv, part, instance`` where ``instance`` is 0 for
    the room and ``k`` for ``scene.objects[k - 1]``.
    """
    t, normal, uv, part = scene.room.intersect(origin, dirs)
    instance = np.zeros(len(dirs), np.int32)
    for k, obj in enumerate(scene.objects, start=1):
        rays = _candidate_rays(obj, origin, dirs)
        hit = obj.intersect(_ray_subset(origin, rays), dirs[rays])
        closer = hit.t < t[rays]
        rays = rays[closer]
        t[rays] = hit.t[closer]
        normal[rays] = hit.normal[closer]
        uv[rays] = hit.uv[closer]
        part[rays] = hit.part[closer]
        instance[rays] = k
    return t, normal, uv, part, instance


def _room_surface(part):
    return _ROOM_PART_SURFACE.get(int(part), 'wall')


def _albedo_and_labels(scene, uv, part, instance):
    """Per-ray albedo and ADE20K label, evaluated per surface."""
    colour = np.zeros((len(uv), 3))
    semantic = np.zeros(len(uv), np.uint8)
    room_rays = instance == 0
    for face in range(len(ROOM_FACES)):
        mask = room_rays & (part == face)
        surface = _room_surface(face)
        colour[mask] = albedo(getattr(scene.room, surface), uv[mask])
        semantic[mask] = ade_label(surface)
    for k, obj in enumerate(scene.objects, start=1):
        mask = instance == k
        colour[mask] = albedo(obj.material, uv[mask])
        semantic[mask] = ade_label(obj.kind)
    return colour, semantic


def check_texture_space(texture_space):
    """``texture_space`` if it is one of :data:`TEXTURE_SPACES`, else a
    ``ValueError`` naming it."""
    if texture_space not in TEXTURE_SPACES:
        raise ValueError(f'texture_space: unknown texture space '
                         f'{texture_space!r}, expected one of '
                         f'{TEXTURE_SPACES}')
    return texture_space


def texture_coordinates(camera, surface_uv, texture_space):
    """Coordinates ``(H*W, 2)`` at which the albedo patterns are evaluated.

    ``'surface'``: ``surface_uv``, the hits' metric surface coordinates.
    ``'screen'``: ``D ((u - c_x) / f_x, (v - c_y) / f_y)`` for pixel
    ``(u, v)`` with ``D`` = :data:`SCREEN_TEXTURE_DISTANCE`, the surface
    coordinates of a fronto-parallel plane at depth ``D``.
    """
    if check_texture_space(texture_space) == 'surface':
        return surface_uv
    return SCREEN_TEXTURE_DISTANCE * camera.image_plane_coordinates()


def light_visibility(scene, points, normal):
    """1 where the segment from ``p + bias n`` to the light hits no object.

    The shadow ray ``o + s (L - o)`` reaches the light at ``s = 1``; an
    object hit with ``s < 1`` occludes it.  The room never casts shadows
    (the light is inside it).  Points facing away from the light
    (``n . (L - p) <= 0``) receive no direct light anyway and are not
    tested (they keep 1).
    """
    origins = points + SHADOW_BIAS * normal
    to_light = np.asarray(scene.light.position, float) - origins
    visible = np.ones(len(points))
    facing = np.flatnonzero(np.einsum('ij,ij->i', normal, to_light) > 0)
    origins, to_light = origins[facing], to_light[facing]
    for obj in scene.objects:
        rays = _candidate_rays(obj, origins, to_light)
        blocked = obj.intersect(origins[rays], to_light[rays]).t < 1.0
        visible[facing[rays[blocked]]] = 0.0
    return visible


def render_view(scene, camera, texture_space='surface'):
    """Render ``scene`` from ``camera``, its albedo patterns evaluated in
    ``texture_space`` (one of :data:`TEXTURE_SPACES`).

    Returns a dict of ``rgb`` uint8 (H, W, 3); ``depth`` float32 (H, W)
    metric z-depth (along the optical axis, not ray length); ``semantic``
    uint8 ADE20K labels; ``instance`` int32 (0 room, 1..N objects in
    ``scene.objects`` order); ``part`` int8, the face of the primitive hit
    (the ``part`` of :mod:`.geometry`: a room face of ``ROOM_FACES``, the
    axis of a box face, 0 side / 1 bottom / 2 top of a cylinder);
    ``normal`` float32 (H, W, 3) unit normals in
    the camera frame (x right, y down, z forward; visible surfaces face the
    camera, so a fronto-parallel wall has normal ``(0, 0, -1)``); ``K``
    (3, 3) and camera-to-world ``pose`` (4, 4) as float64.

    Shading: ``rgb = clip(albedo * E, 0, 1)`` with ``E`` from
    :func:`textures.lambert` and hard shadows from
    :func:`light_visibility`.
    """
    h, w = camera.height, camera.width
    origin = camera.position
    dirs = camera.ray_directions()
    t, normal, uv, part, instance = _nearest_hits(scene, origin, dirs)
    points = origin + t[:, None] * dirs
    colour, semantic = _albedo_and_labels(
        scene, texture_coordinates(camera, uv, texture_space), part,
        instance)
    light = scene.light
    irradiance = lambert(normal, points, light.position, light.intensity,
                         light.ambient,
                         light_visibility(scene, points, normal))
    rgb = np.clip(colour * irradiance[:, None], 0.0, 1.0)
    return {
        'rgb': np.round(rgb * 255.0).astype(np.uint8).reshape(h, w, 3),
        'depth': t.astype(np.float32).reshape(h, w),
        'semantic': semantic.reshape(h, w),
        'instance': instance.reshape(h, w),
        'part': part.astype(np.int8).reshape(h, w),
        'normal': (normal @ camera.rotation).astype(np.float32).reshape(
            h, w, 3),
        'K': camera.K.copy(),
        'pose': camera.pose.copy(),
    }

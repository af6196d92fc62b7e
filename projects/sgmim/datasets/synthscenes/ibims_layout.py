"""The iBims-1 layout: single views with exact plane ground truth.

The renderer knows which surface every pixel shows, so the plane masks and
normals of the iBims-1 evaluation (walls, tables, floor) come from the
scene geometry instead of a hand annotation:

* ``wall``: the room's four walls, one plane each;
* ``floor``: the room's floor;
* ``table``: the flat faces of the objects -- every visible face of a box
  (cabinets, boxes) and the top cap of a cylinder (vases).

The ceiling and curved surfaces get no plane. The normal of a plane is the
surface normal of its pixels (all equal up to float rounding), expressed in
the iBims camera frame ``(x right, y forward, z up) = (x, z, −y)`` of the
OpenCV camera frame. Depth edges are the occlusion boundaries: a pixel is
an edge when a 4-neighbour shows another surface at a depth more than
:data:`EDGE_JUMP` (relative) farther. Nothing is invalid or transparent.

Files (``ibims/``, the official names; ``<name>`` = ``<style>_%02d``)::

    imagelist.txt
    ibims1_core_mat/<name>.mat       # struct `data`, the official fields
    ibims1_core_raw/rgb/<name>.png, depth/<name>.png (uint16 m·65535/50),
        calib/<name>.txt (fx,fy,cx,cy), edges/, mask_invalid/,
        mask_transp/, mask_<t>/<name>.png (uint8 labels),
        mask_<t>_paras/<name>.txt (one row a plane)

The ``.mat`` depth is float32 (exact to float precision), the PNG depth
quantised to 50/65535 m. ``calib`` holds ``K`` transposed with the
principal point in 1-based pixel coordinates (``cx = K[0, 2] + 1``), the
convention of the iBims files and of the official back-projection. A plane
row is ``[X̄, Ȳ, Z̄, d, n_x, n_y, n_z]``: the centroid of the plane's
visible points, the offset ``d = −n·X̄`` and the unit normal ``n`` facing
the camera, all in the iBims frame (the evaluation reads only columns 4:7).
"""
import os

import numpy as np

from .files import (write_lines, write_mat, write_png, write_rgb_png,
                    write_text)
from .geometry import ROOM_FACES
from .layouts import _SingleViewLayout
from .scene import Box, Cylinder

__all__ = ['IBimsLayout', 'EDGE_JUMP', 'PLANE_TYPES', 'ibims_annotations',
           'to_ibims_uint16']

#: Relative depth jump that makes an occlusion edge.
EDGE_JUMP = 0.05
PLANE_TYPES = ('wall', 'table', 'floor')
_WALL_FACES = tuple(ROOM_FACES.index(f) for f in ('x-', 'x+', 'z-', 'z+'))
_FLOOR_FACE = ROOM_FACES.index('y-')
_CYLINDER_TOP = 2


def to_ibims_uint16(depth):
    """Metres -> iBims PNG depth ``round(z · 65535 / 50)`` (0 = invalid,
    saturating at 50 m)."""
    value = np.round(np.nan_to_num(depth, nan=0.0, posinf=0.0) * 65535.0 /
                     50.0)
    return np.clip(value, 0, 65535).astype(np.uint16)


def _to_ibims_frame(vectors):
    """OpenCV camera frame (x right, y down, z forward) -> iBims frame
    (x right, y forward, z up)."""
    vectors = np.asarray(vectors, np.float64)
    return np.stack([vectors[..., 0], vectors[..., 2], -vectors[..., 1]],
                    axis=-1)


def _plane_surfaces(scene):
    """``(type, instance, part)`` of every surface that is a plane, in
    label order per type."""
    surfaces = [('wall', 0, f) for f in _WALL_FACES]
    surfaces.append(('floor', 0, _FLOOR_FACE))
    for k, obj in enumerate(scene.objects, start=1):
        if isinstance(obj, Box):
            surfaces += [('table', k, axis) for axis in range(3)]
        elif isinstance(obj, Cylinder):
            surfaces.append(('table', k, _CYLINDER_TOP))
    return surfaces


def occlusion_edges(depth, surface):
    """Bool map of the nearer pixel of every 4-neighbour pair on two
    surfaces whose depths differ by more than ``EDGE_JUMP`` relative:
    ``z_q > (1 + EDGE_JUMP) · z_p`` marks ``p``."""
    edges = np.zeros(depth.shape, bool)
    for axis in (0, 1):
        a = [slice(None)] * 2
        b = [slice(None)] * 2
        a[axis], b[axis] = slice(None, -1), slice(1, None)
        a, b = tuple(a), tuple(b)
        other = surface[a] != surface[b]
        edges[a] |= other & (depth[b] > (1 + EDGE_JUMP) * depth[a])
        edges[b] |= other & (depth[a] > (1 + EDGE_JUMP) * depth[b])
    return edges


def ibims_annotations(scene, view):
    """The iBims-1 annotations of a rendered view.

    Returns a dict: ``planes`` type -> ``(labels uint8 (H, W), paras (n,
    7))`` (labels 1..n in :func:`_plane_surfaces` order of the visible
    planes), ``edges`` uint8 (H, W) and ``calib`` (3, 3) (``K``
    transposed, 1-based principal point).
    """
    depth = view['depth'].astype(np.float64)
    instance, part = view['instance'], view['part'].astype(np.int64)
    K = view['K']
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    v, u = np.mgrid[0:depth.shape[0], 0:depth.shape[1]]
    points = _to_ibims_frame(np.stack(
        [(u - cx) * depth / fx, (v - cy) * depth / fy, depth], axis=-1))
    planes = {t: (np.zeros(depth.shape, np.uint8), []) for t in PLANE_TYPES}
    for kind, k, face in _plane_surfaces(scene):
        mask = (instance == k) & (part == face)
        if not mask.any():
            continue
        normal = _to_ibims_frame(view['normal'][mask].astype(
            np.float64).mean(axis=0))
        normal /= np.linalg.norm(normal)
        centroid = points[mask].mean(axis=0)
        labels, rows = planes[kind]
        rows.append([*centroid, -normal @ centroid, *normal])
        labels[mask] = len(rows)
    calib = np.array([[fx, 0.0, 0.0], [0.0, fy, 0.0],
                      [cx + 1.0, cy + 1.0, 1.0]])
    surface = instance.astype(np.int64) * 8 + part
    return {
        'planes': {t: (labels, np.asarray(rows, np.float64).reshape(-1, 7))
                   for t, (labels, rows) in planes.items()},
        'edges': occlusion_edges(depth, surface).astype(np.uint8),
        'calib': calib,
    }


def _rows(array):
    return [' '.join(f'{v:.9g}' for v in row) for row in array]


class IBimsLayout(_SingleViewLayout):
    """``ibims/`` in the iBims-1 layouts (module docstring); one ``test``
    split of ``num_ibims`` views."""

    name = 'ibims'
    splits = {'test': 'num_ibims'}

    def run(self, job, seed, options, out_dir):
        style, scene, view, _ = self.render(job, seed, options)
        name = f'{style}_{job.index:02d}'
        notes = ibims_annotations(scene, view)
        ones = np.ones(view['depth'].shape, np.uint8)
        fields = {'rgb': view['rgb'], 'depth': view['depth'],
                  'edges': notes['edges'], 'calib': notes['calib'],
                  'mask_invalid': ones, 'mask_transp': ones}
        for kind in PLANE_TYPES:
            labels, paras = notes['planes'][kind]
            fields[f'mask_{kind}'] = labels
            fields[f'mask_{kind}_paras'] = paras
        root = self.root(out_dir)
        write_mat(os.path.join(root, 'ibims1_core_mat', f'{name}.mat'),
                  {'data': fields})
        raw = os.path.join(root, 'ibims1_core_raw')
        write_rgb_png(os.path.join(raw, 'rgb', f'{name}.png'), view['rgb'])
        write_png(os.path.join(raw, 'depth', f'{name}.png'),
                  to_ibims_uint16(view['depth']))
        for key in ('edges', 'mask_invalid', 'mask_transp') + tuple(
                f'mask_{t}' for t in PLANE_TYPES):
            write_png(os.path.join(raw, key, f'{name}.png'), fields[key])
        for kind in PLANE_TYPES:
            write_lines(os.path.join(raw, f'mask_{kind}_paras',
                                     f'{name}.txt'),
                        _rows(fields[f'mask_{kind}_paras']))
        c = notes['calib']
        fx_fy_cx_cy = (c[0, 0], c[1, 1], c[2, 0], c[2, 1])
        write_text(os.path.join(raw, 'calib', f'{name}.txt'),
                   ','.join(f'{v:.9g}' for v in fx_fy_cx_cy) + '\n')
        return {'name': name}

    def finalize(self, jobs_and_records, options, out_dir):
        write_lines(os.path.join(self.root(out_dir), 'imagelist.txt'),
                    [r['name'] for _, r in jobs_and_records])

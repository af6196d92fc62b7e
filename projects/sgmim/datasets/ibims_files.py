"""Readers of the iBims-1 files (Koch et al.), official layout::

    ibims1/
    ├── imagelist.txt                  # one name a line (corridor_01)
    ├── ibims1_core_mat/<name>.mat     # struct `data`, fields below
    └── ibims1_core_raw/               # the PNG variant
        ├── rgb/<name>.png             # uint8 RGB, 640x480
        ├── depth/<name>.png           # uint16, metres = v · 50 / 65535
        ├── calib/<name>.txt           # fx, fy, cx, cy (or a 3x3 matrix)
        ├── mask_invalid/<name>.png    # non-zero = valid depth
        ├── mask_transp/<name>.png     # non-zero = not transparent
        ├── edges/<name>.png           # optional: non-zero = depth edge
        └── mask_<t>/<name>.png        # optional, t = wall|table|floor:
            + mask_<t>_paras/<name>.txt  # plane labels 1..n + n rows

Fields of a ``.mat`` (all required): ``rgb`` (H, W, 3) uint8, ``depth``
(H, W) metres (0 = no measurement), ``edges`` (H, W), ``calib`` 3x3 (the
intrinsic matrix *transposed*: ``fx = c[0,0]``, ``fy = c[1,1]``,
``cx = c[2,0]``, ``cy = c[2,1]``; the principal point is used with
1-based pixel coordinates, as MATLAB and the official script do),
``mask_invalid``, ``mask_transp``, and per plane type ``mask_<t>`` (labels
1..n, 0 = none) with ``mask_<t>_paras`` (n rows, columns 4:7 the plane's
normal in the iBims camera frame x right, y forward, z up; empty when the
image has no plane of that type).

The PNG variant's plane files are an sgmim convention (the official raw
download documents no plane parameters): ``mask_<t>_paras/<name>.txt`` has
n rows of at least 7 numbers (whitespace or comma separated), read like the
``.mat`` field. ``calib/<name>.txt`` holds ``fx, fy, cx, cy`` or 9 numbers
of a 3x3 matrix, either the ``.mat``'s transposed form or the usual ``K``
(told apart by where ``cx, cy`` sit).
"""
import io
import os.path as osp
import re
from typing import Dict, NamedTuple, Optional, Tuple

import mmcv
import numpy as np
from mmengine import fileio

__all__ = [
    'IBIMS_MAT_FIELDS', 'IBIMS_PLANE_TYPES', 'IBIMS_DEPTH_SCALE',
    'IBimsFileError', 'IBimsPlanes', 'IBimsSample', 'mat_calib',
    'calib_from_matrix',
    'parse_calib_text', 'read_ibims_mat', 'read_ibims_raw',
    'ibims_raw_paths'
]

IBIMS_PLANE_TYPES = ('wall', 'table', 'floor')
IBIMS_MAT_FIELDS = ('rgb', 'depth', 'edges', 'calib', 'mask_invalid',
                    'mask_transp') + tuple(
                        f'mask_{t}{s}' for t in IBIMS_PLANE_TYPES
                        for s in ('', '_paras'))
#: PNG depth: metres = stored · 50 / 65535 (``LoadDepthAnnotation``
#: ``depth_rescale_factor = 1 / IBIMS_DEPTH_SCALE``).
IBIMS_DEPTH_SCALE = 65535.0 / 50.0
#: Folders of the PNG variant that every image must have.
RAW_REQUIRED = ('rgb', 'depth', 'calib', 'mask_invalid', 'mask_transp')


class IBimsFileError(ValueError):
    """An iBims-1 file that cannot be used; the message names it."""


class IBimsPlanes(NamedTuple):
    """Planes of one type: ``labels`` (H, W) int (plane j = label j + 1),
    ``normals`` (n, 3) float64 ground-truth normals."""

    labels: np.ndarray
    normals: np.ndarray


class IBimsSample(NamedTuple):
    """One iBims-1 image and its annotations.

    ``rgb`` uint8 (H, W, 3) RGB; ``depth`` float32 (H, W) metres, 0 = no
    measurement; ``edges`` bool (H, W) or None; ``calib`` ``(fx, fy, cx,
    cy)``; ``mask_invalid`` bool, True = valid; ``mask_transp`` bool, True
    = not transparent; ``planes`` type -> :class:`IBimsPlanes`.
    """

    rgb: np.ndarray
    depth: np.ndarray
    edges: Optional[np.ndarray]
    calib: Tuple[float, float, float, float]
    mask_invalid: np.ndarray
    mask_transp: np.ndarray
    planes: Dict[str, IBimsPlanes]


def mat_calib(calib, where: str) -> Tuple[float, float, float, float]:
    """``(fx, fy, cx, cy)`` of the ``.mat`` field ``calib``, ``K``
    transposed: ``fx = c[0,0]``, ``fy = c[1,1]``, ``cx = c[2,0]``,
    ``cy = c[2,1]`` (the official layout; no other entry is read)."""
    c = np.asarray(calib, np.float64)
    if c.shape != (3, 3):
        raise IBimsFileError(f'{where}: calib must be 3x3, got shape '
                             f'{c.shape}')
    values = (c[0, 0], c[1, 1], c[2, 0], c[2, 1])
    if not np.all(np.isfinite(values)) or values[0] <= 0 or values[1] <= 0:
        raise IBimsFileError(f'{where}: bad calib {c.tolist()} (expected '
                             'fx = c[0,0] > 0, fy = c[1,1] > 0, cx = c[2,0], '
                             'cy = c[2,1])')
    return tuple(float(v) for v in values)


def calib_from_matrix(matrix, where: str) -> Tuple[float, float, float,
                                                   float]:
    """``(fx, fy, cx, cy)`` of a 3x3 matrix in a text file: the iBims
    ``.mat`` form (``K`` transposed, ``cx, cy`` in the last row) or ``K``
    (last column), told apart by the zeros; :class:`IBimsFileError` naming
    ``where`` for anything else."""
    m = np.asarray(matrix, np.float64)
    if m.shape != (3, 3) or not np.all(np.isfinite(m)):
        raise IBimsFileError(f'{where}: calib must be a finite 3x3 matrix, '
                             f'got shape {m.shape}')
    transposed = m[0, 2] == 0 and m[1, 2] == 0 and m[2, 2] == 1
    standard = m[2, 0] == 0 and m[2, 1] == 0 and m[2, 2] == 1
    if transposed and not standard:
        cx, cy = m[2, 0], m[2, 1]
    elif standard and not transposed:
        cx, cy = m[0, 2], m[1, 2]
    elif transposed and standard and m[2, 0] == m[0, 2] == 0:
        cx = cy = 0.0  # principal point at the origin: both readings agree
    else:
        raise IBimsFileError(
            f'{where}: calib {m.tolist()} is neither K nor K transposed '
            '(cx, cy in the last column or the last row, the other zero)')
    fx, fy = m[0, 0], m[1, 1]
    if fx <= 0 or fy <= 0:
        raise IBimsFileError(f'{where}: calib focal lengths must be > 0, '
                             f'got fx={fx}, fy={fy}')
    return float(fx), float(fy), float(cx), float(cy)


def parse_calib_text(text: str, where: str) -> Tuple[float, float, float,
                                                     float]:
    """``calib/<name>.txt``: 4 numbers ``fx, fy, cx, cy`` or 9 numbers of
    a 3x3 matrix (row-major; see :func:`calib_from_matrix`)."""
    try:
        values = [float(v) for v in re.split(r'[\s,;]+', text.strip()) if v]
    except ValueError:
        raise IBimsFileError(f'{where}: calib is not a list of numbers: '
                             f'{text.strip()[:80]!r}') from None
    if len(values) == 9:
        return calib_from_matrix(np.reshape(values, (3, 3)), where)
    if len(values) != 4:
        raise IBimsFileError(f'{where}: calib must hold 4 numbers (fx, fy, '
                             f'cx, cy) or 9 (a 3x3 matrix), got '
                             f'{len(values)}')
    if not all(np.isfinite(values)) or values[0] <= 0 or values[1] <= 0:
        raise IBimsFileError(f'{where}: bad calib {values}')
    return tuple(values)


def _plane_normals(paras, where: str, field: str,
                   num_labels: int) -> np.ndarray:
    paras = np.asarray(paras, np.float64)
    if paras.size == 0:
        paras = np.zeros((0, 7))
    if paras.ndim == 1:
        paras = paras[None]
    if paras.ndim != 2 or paras.shape[1] < 7:
        raise IBimsFileError(f'{where}: {field} must have >= 7 columns (4:7 '
                             f'the normal), got shape {paras.shape}')
    normals = paras[:, 4:7]
    bad = ~np.isfinite(normals).all(1) | (np.abs(normals).sum(1) == 0)
    if bad.any():
        raise IBimsFileError(f'{where}: {field} row {int(np.argmax(bad))} '
                             f'has a zero or non-finite normal '
                             f'{normals[np.argmax(bad)].tolist()}')
    if num_labels > len(paras):
        raise IBimsFileError(
            f'{where}: mask label {num_labels} has no row in {field} '
            f'({len(paras)} rows)')
    return normals


def _labels(mask, where: str, field: str, shape) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.shape != tuple(shape):
        raise IBimsFileError(f'{where}: {field} has shape {mask.shape}, the '
                             f'depth map {tuple(shape)}')
    if not np.all(np.isfinite(mask)) or (mask < 0).any() or \
            not np.array_equal(mask, np.round(mask)):
        raise IBimsFileError(f'{where}: {field} must hold plane labels '
                             '0, 1, ..., n')
    return mask.astype(np.int32)


def _map(array, where: str, field: str, shape) -> np.ndarray:
    array = np.asarray(array)
    if array.shape != tuple(shape):
        raise IBimsFileError(f'{where}: {field} has shape {array.shape}, the '
                             f'depth map {tuple(shape)}')
    return array


def _finish(rgb, depth, edges, calib, mask_invalid, mask_transp, planes,
            where: str) -> IBimsSample:
    depth = np.asarray(depth, np.float64)
    if depth.ndim != 2:
        raise IBimsFileError(f'{where}: depth must be (H, W), got shape '
                             f'{depth.shape}')
    depth = np.where(np.isfinite(depth) & (depth > 0), depth, 0.0)
    rgb = np.asarray(rgb)
    if rgb.shape != depth.shape + (3, ):
        raise IBimsFileError(f'{where}: rgb has shape {rgb.shape}, expected '
                             f'{depth.shape + (3, )} (the depth map size)')
    if rgb.dtype != np.uint8:
        raise IBimsFileError(f'{where}: rgb must be uint8, got {rgb.dtype}')
    return IBimsSample(
        rgb=rgb, depth=depth.astype(np.float32),
        edges=None if edges is None else
        _map(edges, where, 'edges', depth.shape) != 0,
        calib=calib,
        mask_invalid=_map(mask_invalid, where, 'mask_invalid',
                          depth.shape) != 0,
        mask_transp=_map(mask_transp, where, 'mask_transp',
                         depth.shape) != 0,
        planes=planes)


def _mat_fields(content: bytes, where: str) -> dict:
    from scipy import io as sio
    try:
        mat = sio.loadmat(io.BytesIO(content))
    except Exception as error:  # scipy raises several types here
        raise IBimsFileError(f'{where}: cannot be read as a MATLAB v5 .mat '
                             f'file ({type(error).__name__}: {error})'
                             ) from error
    struct = mat.get('data')
    if struct is None:  # fields stored as top-level variables
        return {k: v for k, v in mat.items() if not k.startswith('__')}
    if struct.dtype.names is None or struct.size != 1:
        raise IBimsFileError(f'{where}: variable `data` must be a 1x1 '
                             'struct')
    return {name: struct[name].flat[0] for name in struct.dtype.names}


def read_ibims_mat(path: str, backend_args: Optional[dict] = None,
                   plane_types=IBIMS_PLANE_TYPES) -> IBimsSample:
    """Read one official iBims-1 ``.mat`` file (the module docstring
    lists its fields); :class:`IBimsFileError` names the file and the
    missing or bad field."""
    where = f'iBims-1 file {path}'
    try:
        content = fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        raise FileNotFoundError(f'{where} not found') from None
    fields = _mat_fields(content, where)
    required = ('rgb', 'depth', 'edges', 'calib', 'mask_invalid',
                'mask_transp') + tuple(f'mask_{t}{s}' for t in plane_types
                                       for s in ('', '_paras'))
    for field in required:
        if field not in fields:
            raise IBimsFileError(
                f'{where} has no field {field!r} (it has '
                f'{sorted(fields)}); iBims-1 .mat files need '
                f'{list(required)}')
    depth = np.asarray(fields['depth'])
    planes = {}
    for kind in plane_types:
        labels = _labels(fields[f'mask_{kind}'], where, f'mask_{kind}',
                         depth.shape)
        normals = _plane_normals(fields[f'mask_{kind}_paras'], where,
                                 f'mask_{kind}_paras', int(labels.max(
                                     initial=0)))
        planes[kind] = IBimsPlanes(labels, normals)
    return _finish(fields['rgb'], depth, fields['edges'],
                   mat_calib(fields['calib'], where),
                   fields['mask_invalid'], fields['mask_transp'], planes,
                   where)


def ibims_raw_paths(root: str, name: str,
                    plane_types=IBIMS_PLANE_TYPES) -> Dict[str, str]:
    """Paths of the PNG-variant files of image ``name`` under ``root``
    (``ibims1_core_raw``): key -> path, keys ``RAW_REQUIRED``, ``edges``
    and ``mask_<t>``, ``mask_<t>_paras``."""
    paths = {k: osp.join(root, k, f'{name}.png') for k in RAW_REQUIRED +
             ('edges', ) + tuple(f'mask_{t}' for t in plane_types)}
    paths['calib'] = osp.join(root, 'calib', f'{name}.txt')
    for kind in plane_types:
        paths[f'mask_{kind}_paras'] = osp.join(root, f'mask_{kind}_paras',
                                               f'{name}.txt')
    return paths


def _get_bytes(path: str, backend_args) -> Optional[bytes]:
    try:
        return fileio.get(path, backend_args=backend_args)
    except FileNotFoundError:
        return None


def _png(path: str, backend_args, flag='unchanged', required=True):
    content = _get_bytes(path, backend_args)
    if content is None:
        if required:
            raise FileNotFoundError(f'iBims-1 file {path} not found')
        return None
    try:
        image = mmcv.imfrombytes(content, flag=flag, backend='cv2')
    except Exception as error:  # OpenCV raises several types here
        image, cause = None, error
    else:
        cause = None
    if image is None:
        raise IBimsFileError(f'iBims-1 file {path} cannot be decoded as an '
                             'image') from cause
    if flag == 'unchanged' and image.ndim == 3:
        image = image[..., 0]
    return image


def _paras_text(path: str, backend_args) -> np.ndarray:
    content = _get_bytes(path, backend_args)
    if content is None:
        return None
    rows = []
    for line_no, line in enumerate(content.decode('utf-8').splitlines(), 1):
        if not line.strip():
            continue
        try:
            values = re.split(r'[\s,;]+', line.strip())
            rows.append([float(v) for v in values if v])
        except ValueError:
            raise IBimsFileError(f'iBims-1 file {path}: line {line_no} is '
                                 f'not a list of numbers: {line.strip()!r}'
                                 ) from None
    if len({len(r) for r in rows}) > 1:
        raise IBimsFileError(f'iBims-1 file {path}: rows differ in length')
    if not rows:  # no plane of this type in the image
        return np.zeros((0, 7))
    return np.asarray(rows, np.float64)


def read_ibims_raw(paths: Dict[str, str],
                   backend_args: Optional[dict] = None,
                   plane_types=IBIMS_PLANE_TYPES) -> IBimsSample:
    """Read one image of the PNG variant from :func:`ibims_raw_paths`.

    Required: ``rgb``, ``depth`` (uint16, × 50 / 65535 m), ``calib``,
    ``mask_invalid``, ``mask_transp``; ``edges`` and the plane files are
    read when present (a plane mask without its ``_paras`` file, or the
    reverse, is an error naming both).
    """
    depth_raw = _png(paths['depth'], backend_args)
    if depth_raw.dtype != np.uint16 or depth_raw.ndim != 2:
        raise IBimsFileError(f'iBims-1 file {paths["depth"]}: depth PNG must '
                             f'be single-channel 16-bit, got '
                             f'{depth_raw.dtype} {depth_raw.shape}')
    depth = depth_raw.astype(np.float64) / IBIMS_DEPTH_SCALE

    def read(key, required=True, flag='unchanged'):
        image = _png(paths[key], backend_args, flag, required)
        if image is not None and image.shape[:2] != depth.shape:
            raise IBimsFileError(
                f'iBims-1 file {paths[key]} is {image.shape[1]}x'
                f'{image.shape[0]}, its depth map {paths["depth"]} '
                f'{depth.shape[1]}x{depth.shape[0]}')
        return image

    bgr = read('rgb', flag='color')
    where = f'iBims-1 file {paths["calib"]}'
    calib_bytes = _get_bytes(paths['calib'], backend_args)
    if calib_bytes is None:
        raise FileNotFoundError(f'{where} not found')
    calib = parse_calib_text(calib_bytes.decode('utf-8'), where)
    planes = {}
    for kind in plane_types:
        mask_path = paths[f'mask_{kind}']
        paras_path = paths[f'mask_{kind}_paras']
        mask = read(f'mask_{kind}', required=False)
        paras = _paras_text(paras_path, backend_args)
        if (mask is None) != (paras is None):
            present, absent = ((mask_path, paras_path) if paras is None else
                               (paras_path, mask_path))
            raise IBimsFileError(f'iBims-1 file {present} has no companion '
                                 f'{absent}')
        if mask is None:
            continue
        labels = _labels(mask, f'iBims-1 file {mask_path}', 'the mask',
                         depth.shape)
        normals = _plane_normals(paras, f'iBims-1 file {paras_path}',
                                 'the plane parameters',
                                 int(labels.max(initial=0)))
        planes[kind] = IBimsPlanes(labels, normals)
    return _finish(np.ascontiguousarray(bgr[..., ::-1]), depth,
                   read('edges', required=False), calib,
                   read('mask_invalid'), read('mask_transp'), planes,
                   f'iBims-1 image {paths["rgb"]}')

"""NYUv2 labeled set: official ``.mat`` files -> mmseg ``NYUDataset`` layout.

Inputs (official downloads):

* ``nyu_depth_v2_labeled.mat`` -- 1449 RGB images, metric depth maps and
  scene types. The official file is MATLAB v7.3 (HDF5) and needs ``h5py``
  (arrays read as ``images (N, 3, 640, 480)``, ``depths (N, 640, 480)``);
  MATLAB v5 files (``images (480, 640, 3, N)``, ``depths (480, 640, N)``)
  are read with ``scipy.io``.
* ``splits.mat`` -- ``trainNdxs`` / ``testNdxs``, 1-based (795 / 654).

Output (mmseg ``NYUDataset``, which takes the scene category from the name
before the first digit)::

    OUT/images/{train,test}/<sceneType>_%06d.jpg       (RGB)
    OUT/annotations/{train,test}/<sceneType>_%06d.png  (uint16 millimetres,
                                                         0 = invalid)

``%06d`` is the 1-based index in the labeled ``.mat``. This is the split of
the ``configs/benchmarks/glpdepth/*_nyu-labeled795-480x480.py`` config; the
NYU configs' default, the 24231-frame BTS split, comes from
:mod:`.nyu_sync`. mmseg's own ``tools/dataset_converters/nyu.py`` only
re-arranges the BTS-preprocessed ``nyu.zip`` (``nyu_{train,test}.txt``
lists); it does not read the official ``.mat`` files, hence this module.
"""
import os
import os.path as osp
from typing import Dict

import cv2
import numpy as np
import scipy.io
from tqdm import tqdm

from .common import require_paths

V73_HINT = ('is a MATLAB v7.3 (HDF5) file, as the official '
            'nyu_depth_v2_labeled.mat is: install h5py (pip install h5py) '
            'to read it')


def _to_str(value) -> str:
    """A MATLAB string from scipy (nested object / str arrays)."""
    while isinstance(value, np.ndarray):
        value = value.ravel()[0] if value.dtype == object else ''.join(
            value.ravel().tolist())
    return str(value)


class NYULabeledMat:
    """Per-sample access to ``nyu_depth_v2_labeled.mat`` (v5 or v7.3).

    ``image(i)`` is ``(H, W, 3)`` uint8 RGB, ``depth(i)`` ``(H, W)`` float
    metres, ``scene_type(i)`` the scene category (``'living_room'``); ``i``
    is 0-based.
    """

    def __init__(self, path: str):
        require_paths([path], 'NYUv2 labeled .mat')
        self.path = path
        try:
            mat = scipy.io.loadmat(path)
        except NotImplementedError:  # v7.3
            self._open_hdf5(path)
        else:
            self._h5 = None
            self._images, self._depths = mat['images'], mat['depths']
            self._scenes = [_to_str(s) for s in self._scene_cells(mat)]

    def _scene_cells(self, mat):
        if 'sceneTypes' in mat:
            return mat['sceneTypes'].ravel()
        return [_to_str(s).rsplit('_', 1)[0] for s in mat['scenes'].ravel()]

    def _open_hdf5(self, path):
        try:
            import h5py
        except ImportError as err:
            raise ImportError(f'{path} {V73_HINT}') from err
        self._h5 = h5py.File(path, 'r')
        self._images, self._depths = self._h5['images'], self._h5['depths']
        refs = self._h5['sceneTypes'][()].ravel()
        self._scenes = [
            ''.join(map(chr, self._h5[ref][()].ravel())) for ref in refs
        ]

    def __len__(self) -> int:
        return len(self._scenes)

    def image(self, index: int) -> np.ndarray:
        if self._h5 is not None:
            return np.ascontiguousarray(self._images[index].transpose(2, 1, 0))
        return np.ascontiguousarray(self._images[..., index])

    def depth(self, index: int) -> np.ndarray:
        if self._h5 is not None:
            return np.ascontiguousarray(self._depths[index].T)
        return np.ascontiguousarray(self._depths[..., index])

    def scene_type(self, index: int) -> str:
        return self._scenes[index]


def load_split_indices(path: str) -> Dict[str, np.ndarray]:
    """0-based ``{'train': ..., 'test': ...}`` indices from ``splits.mat``."""
    require_paths([path], 'NYUv2 splits .mat')
    try:
        mat = scipy.io.loadmat(path)
    except NotImplementedError as err:
        raise NotImplementedError(f'{path} {V73_HINT}') from err
    for key in ('trainNdxs', 'testNdxs'):
        if key not in mat:
            raise KeyError(f'{path} has no {key!r}')
    return {
        'train': mat['trainNdxs'].ravel().astype(np.int64) - 1,
        'test': mat['testNdxs'].ravel().astype(np.int64) - 1,
    }


def depth_to_millimetres(depth: np.ndarray) -> np.ndarray:
    """Metres -> uint16 millimetres (non-finite / non-positive -> 0)."""
    depth = np.where(np.isfinite(depth) & (depth > 0), depth, 0)
    return np.clip(np.round(depth * 1000.), 0, 65535).astype(np.uint16)


def write_nyu_sample(data: NYULabeledMat, index: int, split: str,
                     out_dir: str) -> str:
    """Write one sample; returns its file stem."""
    stem = f'{data.scene_type(index)}_{index + 1:06d}'
    image_path = osp.join(out_dir, 'images', split, stem + '.jpg')
    depth_path = osp.join(out_dir, 'annotations', split, stem + '.png')
    rgb = data.image(index)
    if not cv2.imwrite(image_path, rgb[..., ::-1],
                       [cv2.IMWRITE_JPEG_QUALITY, 95]):
        raise OSError(f'could not write {image_path}')
    if not cv2.imwrite(depth_path, depth_to_millimetres(data.depth(index))):
        raise OSError(f'could not write {depth_path}')
    return stem


def prepare_nyu(labeled_mat: str, splits_mat: str, out_dir: str,
                progress: bool = True) -> Dict[str, int]:
    """Build ``out_dir`` from the official files (see module doc).

    Returns:
        dict: Number of samples written per split.
    """
    require_paths([labeled_mat, splits_mat], 'NYUv2 input file')
    splits = load_split_indices(splits_mat)
    data = NYULabeledMat(labeled_mat)
    for split, indices in splits.items():
        bad = indices[(indices < 0) | (indices >= len(data))]
        if bad.size:
            raise IndexError(f'{splits_mat}: {split} index {bad[0] + 1} '
                             f'outside 1..{len(data)} of {labeled_mat}')
    counts = {}
    for split, indices in splits.items():
        for sub in ('images', 'annotations'):
            os.makedirs(osp.join(out_dir, sub, split), exist_ok=True)
        for index in tqdm(indices, desc=f'nyu {split}', disable=not progress):
            write_nyu_sample(data, int(index), split, out_dir)
        counts[split] = len(indices)
    return counts

"""Loading of a frame snippet and its depth-like maps."""
import os.path as osp
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmpretrain.registry import TRANSFORMS

from .loading import StructureMapError, decode_structure_map, to_metric_map

__all__ = ['LoadSnippetFromFiles']

#: Map kinds: results key -> data-info key of the paths.
_MAPS = {'pseudo_depth': 'pseudo_depth_paths', 'gt_depth': 'gt_depth_paths'}


@TRANSFORMS.register_module()
class LoadSnippetFromFiles(BaseTransform):
    """Load the frames of a snippet (:class:`VideoSnippetDataset`) and, when
    the data info lists them, its pseudo-depth and ground-truth depth maps.

    Frames are decoded like mmcv's ``LoadImageFromFile`` (``color_type``,
    ``imdecode_backend``; BGR channel order by default, as mmpretrain
    pipelines expect) and must all have the target frame's size. Maps are
    decoded like :class:`LoadStructureMap`: 16-bit PNG (or any integer
    array) times ``*_scale`` (default 1/1000: millimetres, as SynthScenes
    and the SG-MIM pseudo-depth writer store them), float ``.npy`` as
    stored; a map must be single-channel, finite and the size of its frame.

    **Required Keys:** ``frame_paths``; optional ``pseudo_depth_paths``,
    ``gt_depth_paths``.

    **Added Keys:** ``img`` (list of (H, W, 3) uint8, ``[target, ref_1,
    ..., ref_n]``), ``img_shape``, ``ori_shape`` ((H, W)), and when their
    paths are present ``pseudo_depth`` / ``gt_depth`` (lists of (H, W)
    float32 metres: the target's only, or every frame's with
    ``map_frames='all'``).

    Errors name the file: a missing or undecodable frame
    (``FileNotFoundError`` / ``ValueError``), a frame whose size differs
    from the target's (both frames), a map that is missing, unreadable or
    not the size of its frame (:class:`StructureMapError` naming both the
    map and the frame).

    Args:
        map_frames (str): ``'target'`` (SC-Depth V3 reads the target's
            pseudo-depth only) or ``'all'``. Defaults to 'target'.
        pseudo_depth_scale (float): Metres per unit of integer pseudo-depth
            maps. Defaults to 1/1000.
        gt_depth_scale (float): Metres per unit of integer depth maps
            (SC-Depth's NYU ``depth/`` PNGs: 1/5000). Defaults to 1/1000.
        color_type (str): mmcv ``imfrombytes`` flag. Defaults to 'color'.
        imdecode_backend (str): mmcv decoding backend. Defaults to 'cv2'.
        backend_args (dict, optional): mmengine file backend arguments.
            Defaults to None.
    """

    def __init__(self,
                 map_frames: str = 'target',
                 pseudo_depth_scale: float = 1e-3,
                 gt_depth_scale: float = 1e-3,
                 color_type: str = 'color',
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None):
        if map_frames not in ('target', 'all'):
            raise ValueError(f"map_frames: expected 'target' or 'all', got "
                             f'{map_frames!r}')
        self.map_frames = map_frames
        self.scales = {}
        for key, scale in (('pseudo_depth', pseudo_depth_scale),
                           ('gt_depth', gt_depth_scale)):
            if not (isinstance(scale, (int, float)) and np.isfinite(scale)
                    and scale > 0):
                raise ValueError(f'{key}_scale: expected a positive number, '
                                 f'got {scale!r}')
            self.scales[key] = float(scale)
        self.color_type = color_type
        self.imdecode_backend = imdecode_backend
        self.backend_args = None if backend_args is None else dict(
            backend_args)

    def transform(self, results: dict) -> dict:
        """Add the frames and maps."""
        paths = results.get('frame_paths')
        if not paths:
            raise KeyError('LoadSnippetFromFiles: results hold no '
                           "'frame_paths' (use VideoSnippetDataset)")
        frames = [self._image(path) for path in paths]
        hw = frames[0].shape[:2]
        for frame, path in zip(frames[1:], paths[1:]):
            if frame.shape[:2] != hw:
                raise ValueError(f'frame {path} has size (H, W) = '
                                 f'{frame.shape[:2]}, the target frame '
                                 f'{paths[0]} {hw}: a snippet needs frames '
                                 'of one size')
        results['img'] = frames
        results['img_shape'] = results['ori_shape'] = hw
        for key, info_key in _MAPS.items():
            map_paths = results.get(info_key)
            if map_paths is None:
                continue
            count = 1 if self.map_frames == 'target' else len(paths)
            results[key] = [
                self._map(key, map_path, path, hw)
                for map_path, path in zip(map_paths[:count], paths)
            ]
        return results

    def _image(self, path: str) -> np.ndarray:
        try:
            content = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(f'snippet frame {path} not found') \
                from None
        try:
            image = mmcv.imfrombytes(content, flag=self.color_type,
                                     backend=self.imdecode_backend)
        except Exception as error:  # decoders raise many types
            raise ValueError(f'snippet frame {path} cannot be decoded '
                             f'({type(error).__name__}: {error})') from error
        if image is None:
            raise ValueError(f'snippet frame {path} cannot be decoded '
                             '(empty, corrupt or not an image)')
        return image

    def _map(self, key: str, map_path: str, frame_path: str,
             hw) -> np.ndarray:
        where = f'{key} map {map_path} (of frame {frame_path})'
        try:
            content = fileio.get(map_path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(f'{where}: file not found') from None
        try:
            array = decode_structure_map(content, osp.splitext(map_path)[1])
            return to_metric_map(array, hw, self.scales[key])
        except StructureMapError as error:
            raise StructureMapError(f'{where}: {error}') from error.__cause__

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(map_frames={self.map_frames!r}, '
                f"pseudo_depth_scale={self.scales['pseudo_depth']}, "
                f"gt_depth_scale={self.scales['gt_depth']}, color_type="
                f'{self.color_type!r}, imdecode_backend='
                f'{self.imdecode_backend!r}, '
                f'backend_args={self.backend_args})')

"""Packing of a frame snippet for an mmpretrain self-supervisor."""
import numpy as np
import torch
from mmpretrain.datasets.transforms import PackInputs
from mmpretrain.registry import TRANSFORMS

from .snippet_geometry import snippet_size

__all__ = ['PackSnippetInputs']


@TRANSFORMS.register_module()
class PackSnippetInputs(PackInputs):
    """Pack a snippet as ``inputs`` + a ``DataSample``.

    ``inputs`` is the list ``[target, ref_1, ..., ref_n]`` of (C, H, W)
    uint8 tensors (mmpretrain's ``PackInputs`` formatting), the multi-view
    form that ``SelfSupDataPreprocessor`` takes: ``default_collate`` turns a
    batch into a list of 1 + n tensors (B, C, H, W), each normalised (and
    channel-converted) like a view. A stacked (1 + n, C, H, W) tensor would
    collate to (B, 1 + n, C, H, W), on which the preprocessor's
    ``bgr_to_rgb`` indexes the frame axis instead of the channels.

    The ``DataSample`` gets the data fields ``intrinsics`` ((3, 3)
    float32, of the packed frames), and when present ``pseudo_depth`` and
    ``gt_depth`` ((F, H, W) float32 metres, F = 1 for the target's map, 1 +
    n with ``LoadSnippetFromFiles(map_frames='all')``) and ``ref_poses``
    ((n, 4, 4) float32, ``X_ref = T X_tgt``), plus the meta keys present.

    **Required Keys:** ``img`` (list of frames), ``intrinsics``.

    Args:
        meta_keys (Sequence[str]): Meta information kept. Defaults to
            ``('sample_idx', 'img_path', 'frame_paths', 'frame_ids',
            'scene', 'ori_shape', 'img_shape', 'flip', 'flip_direction')``.
    """

    DEFAULT_META_KEYS = ('sample_idx', 'img_path', 'frame_paths',
                         'frame_ids', 'scene', 'ori_shape', 'img_shape',
                         'flip', 'flip_direction')
    MAP_KEYS = ('pseudo_depth', 'gt_depth')

    def __init__(self, meta_keys=DEFAULT_META_KEYS):
        super().__init__(
            input_key='img', algorithm_keys=(), meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack frames, intrinsics, maps and poses."""
        snippet_size(results, self.MAP_KEYS)
        K = np.asarray(results.get('intrinsics'), dtype=np.float64)
        if K.shape != (3, 3) or not np.isfinite(K).all():
            raise ValueError(f'intrinsics of snippet '
                             f"{results.get('img_path')}: expected a finite "
                             f'(3, 3) matrix, got {K.tolist()}')
        packed = super().transform(results)
        sample = packed['data_samples']
        sample.set_field(torch.from_numpy(K.astype(np.float32)), 'intrinsics')
        for key in self.MAP_KEYS:
            if results.get(key) is not None:
                maps = np.stack([np.asarray(m, np.float32)
                                 for m in results[key]])
                sample.set_field(torch.from_numpy(maps), key)
        if results.get('ref_poses') is not None:
            sample.set_field(
                torch.from_numpy(
                    np.asarray(results['ref_poses'], np.float32)),
                'ref_poses')
        return packed

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'

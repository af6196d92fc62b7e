"""Turn official dataset downloads into the layouts our configs read.

* :mod:`.kitti` -- KITTI raw drives + annotated depth + Eigen split lists
  -> ``data/kitti`` (BTS/GLPDepth layout).
* :mod:`.nyu` -- ``nyu_depth_v2_labeled.mat`` + ``splits.mat`` -> mmseg
  ``NYUDataset`` layout ``data/nyu``.
"""
from .common import place_file
from .kitti import (depth_relpath, parse_split_line, prepare_kitti,
                    read_focal)
from .nyu import (NYULabeledMat, load_split_indices, prepare_nyu,
                  write_nyu_sample)

__all__ = [
    'place_file', 'depth_relpath', 'parse_split_line', 'prepare_kitti',
    'read_focal', 'NYULabeledMat', 'load_split_indices', 'prepare_nyu',
    'write_nyu_sample'
]

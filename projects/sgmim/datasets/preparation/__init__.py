"""Turn official dataset downloads into the layouts our configs read.

* :mod:`.kitti` -- KITTI raw drives + annotated depth + Eigen split lists
  -> ``data/kitti`` (BTS/GLPDepth layout).
* :mod:`.nyu` -- ``nyu_depth_v2_labeled.mat`` + ``splits.mat`` -> mmseg
  ``NYUDataset`` layout ``data/nyu`` (the 795/654 labeled split).
* :mod:`.nyu_sync` -- BTS's ``sync`` release + ``official_splits/test`` +
  BTS file lists -> ``data/nyu_sync`` (the 24231/654 BTS split, the default
  of the NYU configs).
"""
from .common import place_file
from .kitti import (depth_relpath, parse_split_line, prepare_kitti,
                    read_focal)
from .nyu import (NYULabeledMat, load_split_indices, prepare_nyu,
                  write_nyu_sample)
from .nyu_sync import NYU_FOCAL, prepare_nyu_sync, read_nyu_list

__all__ = [
    'place_file', 'depth_relpath', 'parse_split_line', 'prepare_kitti',
    'read_focal', 'NYULabeledMat', 'load_split_indices', 'prepare_nyu',
    'write_nyu_sample', 'NYU_FOCAL', 'prepare_nyu_sync', 'read_nyu_list'
]

"""ViTDet parts for mmdet 3.3.0, whose wheel lacks them (they live only in
mmdetection's ``projects/ViTDet``): registered in ``mmdet.registry.MODELS``."""
from .layer_norm_2d import LN2d
from .simple_fpn import SimpleFPN

__all__ = ['LN2d', 'SimpleFPN']

from .hooks import DegenerateStructureMapHook, RandomStateHook
from .optimizers import LayerDecayOptimWrapperConstructor
from .runners import LRScalingRunner
from .schedulers import PolyOneCycleLR

__all__ = ['DegenerateStructureMapHook', 'RandomStateHook',
           'LayerDecayOptimWrapperConstructor', 'LRScalingRunner',
           'PolyOneCycleLR']

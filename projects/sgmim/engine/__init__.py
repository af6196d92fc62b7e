from .hooks import DegenerateStructureMapHook, RandomStateHook
from .optimizers import LayerDecayOptimWrapperConstructor
from .schedulers import PolyOneCycleLR

__all__ = ['DegenerateStructureMapHook', 'RandomStateHook',
           'LayerDecayOptimWrapperConstructor', 'PolyOneCycleLR']

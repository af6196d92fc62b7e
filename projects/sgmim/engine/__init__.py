from .hooks import RandomStateHook
from .optimizers import LayerDecayOptimWrapperConstructor
from .schedulers import PolyOneCycleLR

__all__ = ['RandomStateHook', 'LayerDecayOptimWrapperConstructor',
           'PolyOneCycleLR']

from .hooks import RandomStateHook
from .optimizers import LayerDecayOptimWrapperConstructor

__all__ = ['RandomStateHook', 'LayerDecayOptimWrapperConstructor']

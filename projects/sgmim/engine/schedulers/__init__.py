from .poly_one_cycle import (PolyOneCycleLR, PolyOneCycleParamScheduler,
                             poly_one_cycle_factor)

__all__ = ['PolyOneCycleLR', 'PolyOneCycleParamScheduler',
           'poly_one_cycle_factor']

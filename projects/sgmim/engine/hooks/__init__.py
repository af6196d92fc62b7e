from .degenerate_structure_map_hook import DegenerateStructureMapHook
from .random_state_hook import RandomStateHook

__all__ = ['DegenerateStructureMapHook', 'RandomStateHook']

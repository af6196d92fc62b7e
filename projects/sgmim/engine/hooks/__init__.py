from .degenerate_structure_map_hook import DegenerateStructureMapHook
from .fused_window_attention_hook import FusedWindowAttentionHook
from .random_state_hook import RandomStateHook

__all__ = [
    'DegenerateStructureMapHook', 'FusedWindowAttentionHook',
    'RandomStateHook'
]

from .grouped_constructor import (GroupedOptimWrapperConstructor,
                                  merge_param_groups)
from .layer_decay_constructor import (DEFAULT_NO_DECAY_NAMES,
                                      LayerDecayOptimWrapperConstructor,
                                      swin_layer_id, vit_layer_id)

__all__ = [
    'DEFAULT_NO_DECAY_NAMES', 'GroupedOptimWrapperConstructor',
    'LayerDecayOptimWrapperConstructor', 'merge_param_groups',
    'swin_layer_id', 'vit_layer_id'
]

from .lr_scaling_runner import (LR_SCALING_RULES, LRScalingRunner,
                                lr_scale_factor, lr_scaling_rule)
from .model_compile import COMPILE_KEYS, compile_model, compile_options

__all__ = ['COMPILE_KEYS', 'LR_SCALING_RULES', 'LRScalingRunner',
           'compile_model', 'compile_options', 'lr_scale_factor',
           'lr_scaling_rule']

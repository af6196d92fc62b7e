from .lr_scaling_runner import (LR_SCALING_RULES, LRScalingRunner,
                                lr_scale_factor, lr_scaling_rule)

__all__ = ['LR_SCALING_RULES', 'LRScalingRunner', 'lr_scale_factor',
           'lr_scaling_rule']

"""Switch a run's Swin / SwinV2 window attention to the fused SDPA path."""
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS

from sgmim.models.utils.fused_window_attention import fuse_window_attention


@HOOKS.register_module()
class FusedWindowAttentionHook(Hook):
    """Before the run, switch every mmpretrain ``WindowMSA`` /
    ``WindowMSAV2`` of the model to ``FusedWindowMSA`` /
    ``FusedWindowMSAV2`` (``sgmim.models.utils.fused_window_attention``):
    the same layer (parameters, state-dict keys, outputs) through one
    ``scaled_dot_product_attention`` call. Checkpoints are unchanged, so a
    run may switch on resume, and the analysis tools read fused models as
    unfused ones::

        custom_hooks = [dict(type='FusedWindowAttentionHook')]

    A model without window attention is an error (the hook would do
    nothing).
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        count = fuse_window_attention(model)
        if count == 0:
            raise ValueError(
                f'FusedWindowAttentionHook: {type(model).__name__} has no '
                "mmpretrain WindowMSA / WindowMSAV2 (a Swin or SwinV2 "
                'encoder); remove the hook from custom_hooks')
        print_log(f'FusedWindowAttentionHook: {count} window attention '
                  'modules use scaled_dot_product_attention',
                  logger='current')

"""ViT fine-tuning backbone that loads a class-token checkpoint without one.

ViTDet-style detection (``with_cls_token=False``) fine-tunes at another
resolution than pre-training (1024 vs 224 px). mmpretrain 1.2.0's
``VisionTransformer`` drops the class token's position from a checkpoint's
``pos_embed`` only when the checkpoint has exactly one position more than the
module, i.e. at the same resolution; at another one it resizes 197 positions
as a square grid and fails (``The length of pos_embed (197) doesn't match the
expected shape (14*14+0)``). This drop-in subclass drops it whenever the
checkpoint's length is a square grid plus one, then resizes as mmpretrain
does; constructor arguments and forward are the parent's.
"""
import math

from mmpretrain.models import VisionTransformer
from mmpretrain.registry import MODELS


def has_class_position(length: int) -> bool:
    """A ``pos_embed`` of ``length`` positions is a square grid plus one
    class-token position (and not itself a square grid)."""
    grid = length - 1
    return (grid > 0 and math.isqrt(grid)**2 == grid
            and math.isqrt(length)**2 != length)


@MODELS.register_module()
class TransferVisionTransformer(VisionTransformer):
    """``VisionTransformer`` that drops a checkpoint's class-token position
    when it has no class token, at any resolution."""

    def _prepare_pos_embed(self, state_dict, prefix, *args, **kwargs):
        """Drop the class position if unused; then as mmpretrain."""
        name = prefix + 'pos_embed'
        if (not self.with_cls_token and name in state_dict
                and has_class_position(state_dict[name].shape[1])):
            state_dict[name] = state_dict[name][:, 1:]
        super()._prepare_pos_embed(state_dict, prefix, *args, **kwargs)

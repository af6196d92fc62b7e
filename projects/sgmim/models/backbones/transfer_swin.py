"""Swin / SwinV2 fine-tuning backbones that load across window sizes cleanly.

mmpretrain's ``SwinTransformer`` / ``SwinTransformerV2`` already load a
pre-trained encoder at another window size with the right values, but delete
the incoming window-dependent buffers, so every load reports them as missing
keys, and SwinV2 drops the checkpoint's CPB normalisation unchecked (details
in :mod:`.window_transfer`). These drop-in subclasses differ only in loading:
they keep those buffers as loaded keys (the module's own values) and SwinV2
warns when ``pretrained_window_sizes`` does not match the checkpoint.
Constructor arguments and forward are the parents'.
"""
from mmpretrain.models import SwinTransformer, SwinTransformerV2
from mmpretrain.registry import MODELS

from .window_transfer import (SwinV2WindowTransferMixin,
                              SwinWindowTransferMixin)


@MODELS.register_module()
class TransferSwinTransformer(SwinWindowTransferMixin, SwinTransformer):
    """``SwinTransformer`` whose ``relative_position_index`` buffers count as
    loaded when a checkpoint with another window size is resized into it.

    mmpretrain upgrades legacy (mmcls 0.x) checkpoint keys only for the exact
    class ``SwinTransformer``; load such checkpoints with that class.
    """


@MODELS.register_module()
class TransferSwinTransformerV2(SwinV2WindowTransferMixin, SwinTransformerV2):
    """``SwinTransformerV2`` that loads the window-dependent buffers as its
    own values and checks the checkpoint's CPB normalisation window against
    ``pretrained_window_sizes``."""

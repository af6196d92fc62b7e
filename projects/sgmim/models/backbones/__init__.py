from .mask_token import replace_masked_tokens
from .simmim_swin_v2 import SimMIMSwinTransformerV2
from .simmim_vit import SimMIMVisionTransformer
from .transfer_swin import TransferSwinTransformer, TransferSwinTransformerV2
from .transfer_vit import TransferVisionTransformer
from .window_transfer import (SwinV2WindowTransferMixin,
                              SwinWindowTransferMixin,
                              cpb_normalisation_mismatches,
                              cpb_normalisation_window)

__all__ = [
    'SimMIMSwinTransformerV2', 'SimMIMVisionTransformer',
    'TransferSwinTransformer', 'TransferSwinTransformerV2',
    'TransferVisionTransformer',
    'SwinWindowTransferMixin', 'SwinV2WindowTransferMixin',
    'cpb_normalisation_mismatches', 'cpb_normalisation_window',
    'replace_masked_tokens'
]

from .fused_window_attention import (FusedWindowMSA, FusedWindowMSAV2,
                                     fuse_window_attention,
                                     relative_position_bias)
from .optional_pretrained_init import (EncoderCheckpointError,
                                       OptionalPretrainedInit)
from .tokens import gather_tokens, patchify, uniform_index

__all__ = [
    'EncoderCheckpointError', 'OptionalPretrainedInit', 'gather_tokens',
    'patchify', 'uniform_index', 'FusedWindowMSA', 'FusedWindowMSAV2',
    'fuse_window_attention', 'relative_position_bias'
]

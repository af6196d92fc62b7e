from .optional_pretrained_init import (EncoderCheckpointError,
                                       OptionalPretrainedInit)
from .tokens import gather_tokens, patchify, uniform_index

__all__ = [
    'EncoderCheckpointError', 'OptionalPretrainedInit', 'gather_tokens',
    'patchify', 'uniform_index'
]

from .optional_pretrained_init import OptionalPretrainedInit
from .tokens import gather_tokens, patchify, uniform_index

__all__ = [
    'OptionalPretrainedInit', 'gather_tokens', 'patchify', 'uniform_index'
]

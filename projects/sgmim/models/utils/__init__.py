from .optional_pretrained_init import OptionalPretrainedInit

__all__ = ['OptionalPretrainedInit']

from .utils import OptionalPretrainedInit

__all__ = ['OptionalPretrainedInit']

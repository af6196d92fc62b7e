from .sgmim import SGMIM

__all__ = ['SGMIM']

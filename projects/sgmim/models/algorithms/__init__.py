from .lut import LUT
from .lut_simmim import LUTSimMIM
from .sgmim import SGMIM

__all__ = ['LUT', 'LUTSimMIM', 'SGMIM']

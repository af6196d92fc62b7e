from .lut import LUT
from .lut_simmim import LUTSimMIM
from .mto_mae import MTOMAE
from .mto_mixin import MTOMixin
from .mto_simmim import MTOSimMIM
from .sgmim import SGMIM

__all__ = ['LUT', 'LUTSimMIM', 'MTOMAE', 'MTOMixin', 'MTOSimMIM', 'SGMIM']

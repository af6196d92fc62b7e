from .lut import LUT
from .lut_simmim import LUTSimMIM
from .mesa_geometric import MeSaGeometric
from .mesa_supervised import MeSaSupervised
from .mto_mae import MTOMAE
from .mto_mixin import MTOMixin
from .mto_simmim import MTOSimMIM
from .sgmim import SGMIM

__all__ = [
    'LUT', 'LUTSimMIM', 'MeSaGeometric', 'MeSaSupervised', 'MTOMAE',
    'MTOMixin', 'MTOSimMIM', 'SGMIM'
]

"""Data transforms: SG-MIM paired image + structure map and LUT views
(mmpretrain), depth transfer (mmseg), MeSa video snippets (mmpretrain)."""
from .cutdepth import VerticalCutDepth
from .ibims_loading import LoadIBimsSample
from .kb_crop import KBCrop
from .joint_transforms import JointRandomFlip, JointRandomResizedCrop
from .loading import LoadStructureMap, StructureMapError
from .masking import SelectiveGuidanceMaskGenerator
from .padded_random_crop import PaddedRandomCrop
from .safe_hue_color_jitter import SafeHueColorJitter
from .snippet_formatting import PackSnippetInputs
from .snippet_loading import LoadSnippetFromFiles
from .snippet_transforms import (SnippetCrop, SnippetRandomFlip,
                                 SnippetRandomScaleCrop, SnippetResize)
from .photometric import (HueSaturationValue, RandomBrightnessContrast,
                          RandomGamma)
from .structure_map import (FormatStructureMap, StructureMapStandardize,
                            standardize_structure_map)

__all__ = [
    'LoadStructureMap', 'StructureMapError', 'JointRandomResizedCrop',
    'JointRandomFlip', 'StructureMapStandardize', 'standardize_structure_map',
    'FormatStructureMap', 'SelectiveGuidanceMaskGenerator', 'KBCrop',
    'VerticalCutDepth', 'RandomBrightnessContrast', 'RandomGamma',
    'HueSaturationValue', 'PaddedRandomCrop', 'SafeHueColorJitter',
    'LoadSnippetFromFiles', 'SnippetRandomFlip', 'SnippetRandomScaleCrop',
    'SnippetCrop', 'SnippetResize', 'PackSnippetInputs', 'LoadIBimsSample'
]

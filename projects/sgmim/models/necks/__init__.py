from .linear_pixel_shuffle_decoder import LinearPixelShuffleDecoder
from .relational_guidance_neck import RelationalGuidanceNeck
from .structure_extractors import (MLPStructureExtractor,
                                   SiameseStructureExtractor,
                                   TransformerStructureExtractor,
                                   token_visibility)

__all__ = [
    'LinearPixelShuffleDecoder', 'MLPStructureExtractor',
    'RelationalGuidanceNeck', 'SiameseStructureExtractor',
    'TransformerStructureExtractor', 'token_visibility'
]

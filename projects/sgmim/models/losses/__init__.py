"""sgmim's losses; SG-MIM reuses mmpretrain's SimMIMHead and
PixelReconstructionLoss."""
from .mto_losses import MTOLoss, sparsity_entropy
from .photometric import (PairTerms, PhotometricGeometryLoss,
                          geometry_inconsistency, masked_mean, pair_terms,
                          photometric_error, select_per_pixel)
from .rectification import (RotationRectificationLoss,
                            rotation_consistency_loss, rotation_triplet_loss)
from .smoothness import edge_aware_smoothness
from .ssim import box_ssim

__all__ = [
    'MTOLoss', 'sparsity_entropy', 'PairTerms', 'PhotometricGeometryLoss',
    'geometry_inconsistency', 'masked_mean', 'pair_terms',
    'photometric_error', 'select_per_pixel', 'RotationRectificationLoss',
    'rotation_consistency_loss', 'rotation_triplet_loss',
    'edge_aware_smoothness', 'box_ssim'
]

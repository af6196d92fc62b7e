"""sgmim's losses; SG-MIM reuses mmpretrain's SimMIMHead and
PixelReconstructionLoss."""
from .mto_losses import MTOLoss, sparsity_entropy
from .normals import normal_matching_loss, surface_normals
from .photometric import (PairTerms, PhotometricGeometryLoss,
                          geometry_inconsistency, masked_mean, pair_terms,
                          photometric_error, select_per_pixel)
from .pseudo_depth_loss import PseudoDepthLoss
from .ranking import (confident_ranking_loss, ranking_labels,
                      sample_ranking_pairs)
from .rectification import (RotationRectificationLoss,
                            rotation_consistency_loss, rotation_triplet_loss)
from .relative_normal import (edge_maps, relative_normal_loss,
                              sample_edge_guided_pairs,
                              sample_relative_normal_pairs)
from .smoothness import edge_aware_smoothness
from .ssim import box_ssim

__all__ = [
    'MTOLoss', 'sparsity_entropy', 'PseudoDepthLoss', 'surface_normals',
    'normal_matching_loss', 'sample_ranking_pairs', 'ranking_labels',
    'confident_ranking_loss', 'edge_maps', 'sample_edge_guided_pairs',
    'sample_relative_normal_pairs', 'relative_normal_loss', 'PairTerms',
    'PhotometricGeometryLoss', 'geometry_inconsistency', 'masked_mean',
    'pair_terms', 'photometric_error', 'select_per_pixel',
    'RotationRectificationLoss', 'rotation_consistency_loss',
    'rotation_triplet_loss', 'edge_aware_smoothness', 'box_ssim'
]

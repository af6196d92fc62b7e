"""sgmim's losses; SG-MIM reuses mmpretrain's SimMIMHead and
PixelReconstructionLoss."""
from .mto_losses import MTOLoss, sparsity_entropy
from .normals import normal_matching_loss, surface_normals
from .pseudo_depth_loss import PseudoDepthLoss
from .ranking import (confident_ranking_loss, ranking_labels,
                      sample_ranking_pairs)
from .relative_normal import (edge_maps, relative_normal_loss,
                              sample_edge_guided_pairs,
                              sample_relative_normal_pairs)

__all__ = [
    'MTOLoss', 'sparsity_entropy', 'PseudoDepthLoss', 'surface_normals',
    'normal_matching_loss', 'sample_ranking_pairs', 'ranking_labels',
    'confident_ranking_loss', 'edge_maps', 'sample_edge_guided_pairs',
    'sample_relative_normal_pairs', 'relative_normal_loss'
]

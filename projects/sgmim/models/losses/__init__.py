"""sgmim's losses; SG-MIM reuses mmpretrain's SimMIMHead and
PixelReconstructionLoss."""
from .mto_losses import MTOLoss, sparsity_entropy

__all__ = ['MTOLoss', 'sparsity_entropy']

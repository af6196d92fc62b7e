"""SG-MIM reuses mmpretrain's SimMIMHead and PixelReconstructionLoss."""
__all__: list = []

"""MeSa stage 3, supervised pre-training with pseudo-depth (SC-DepthV3's
losses; REFERENCE.md §4).

The geometric stage's depth and pose networks and its photometric and
geometry terms (no smoothness, no rectification), plus the pseudo-depth
terms of ``PseudoDepthLoss`` on the target frame::

    L = L_photo + 0.1 · L_geometry + 0.1 · L_normal + 0.1 · L_ranking
        + 0.1 · L_relative_normal

with normals from kornia's ``depth_to_normals`` and the intrinsics, and the
ranking pairs partly drawn among the target pixels of lowest confidence
``mean_r (1 − D_diff)`` (the photometric loss's confidence map).
"""
from typing import Dict, List, Sequence

from torch import Tensor

from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from .mesa_geometric import MeSaGeometric, split_snippet, stack_field


@MODELS.register_module()
class MeSaSupervised(MeSaGeometric):
    """MeSa's supervised stage (module docstring).

    Each data sample carries ``pseudo_depth`` (F, H, W) with the target's map
    first (``LoadSnippetFromFiles``; pseudo-depth maps from a parallel
    folder, e.g. written by ``tools/dataset_converters/
    generate_pseudo_depth.py``).

    Args:
        pseudo_loss (dict): ``PseudoDepthLoss`` (weights 0.1 each).
        loss (dict): ``PhotometricGeometryLoss``; SC-DepthV3 keeps photo 1
            and geometry 0.1 and drops the smoothness (weight 0).
        **kwargs: :class:`MeSaGeometric`'s other arguments (no
            ``rectify_net``: SC-DepthV3 has none).
    """

    def __init__(self,
                 *args,
                 pseudo_loss: dict = dict(type='PseudoDepthLoss'),
                 loss: dict = dict(type='PhotometricGeometryLoss',
                                   smooth_weight=0.),
                 **kwargs) -> None:
        super().__init__(*args, loss=loss, **kwargs)
        self.pseudo_loss = MODELS.build(pseudo_loss)

    def loss(self, inputs: Sequence[Tensor],
             data_samples: List[DataSample]) -> Dict[str, Tensor]:
        """The geometric terms and ``loss_normal``, ``loss_ranking``,
        ``loss_relative_normal``."""
        tgt, _ = split_snippet(inputs)
        pseudo = stack_field(data_samples, 'pseudo_depth', tgt)
        if pseudo.dim() != 4 or pseudo.shape[2:] != tgt.shape[2:]:
            raise ValueError(f'pseudo_depth batch {tuple(pseudo.shape)} does '
                             f'not match the target frames '
                             f'{tuple(tgt.shape)}: (B, F, H, W) expected')
        losses, depth, confidence = self._geometric_losses(
            inputs, data_samples, return_confidence=True)
        intrinsics = stack_field(data_samples, 'intrinsics', tgt)
        losses.update(self.pseudo_loss(depth, pseudo[:, :1], intrinsics, tgt,
                                       confidence=confidence))
        return losses

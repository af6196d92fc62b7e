"""SC-DepthV2's rotation-rectification losses (REFERENCE.md §4).

The rectification network predicts the rotation ``r1`` between the target
and a reference frame; the reference is pre-warped by it
(:func:`sgmim.models.geometry.rotation_warp`) and the network, run again,
predicts the residual ``r2``. A third prediction ``r3`` on a frame warped by
a known rotation ``r*`` (``r1`` itself, detached, or a random one) is
supervised by it::

    L_rc = mean |r3 − sg(r*)|                 rotation consistency (L1)
    L_rt = mean max(|r2| − |r1| + 0.05, 0)    triplet: rectified < raw

elementwise over every angle of every frame pair, each with weight 1. Which
``r*`` to use is the algorithm's choice (SC-DepthV2: ``r1`` when
``0.02 < mean |r1| < 0.1``, else uniform in ±0.05).
"""
from numbers import Real
from typing import Dict

from torch import Tensor, nn

from mmpretrain.registry import MODELS

TRIPLET_MARGIN = 0.05


def _check_pair(name: str, a: Tensor, b: Tensor) -> None:
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f'{name}: expected Tensors, got {type(a)} and '
                        f'{type(b)}')
    if a.shape != b.shape or a.numel() == 0:
        raise ValueError(f'{name}: expected two non-empty rotation tensors '
                         f'of one shape, got {tuple(a.shape)} and '
                         f'{tuple(b.shape)}')


def rotation_consistency_loss(pred: Tensor, target: Tensor) -> Tensor:
    """``L_rc = mean |r3 − sg(r*)|``; the target is detached.

    Args:
        pred (Tensor): ``r3``, (..., 3) predicted angles.
        target (Tensor): ``r*``, the rotation the input was warped by.
    """
    _check_pair('rotation_consistency_loss', pred, target)
    return (pred - target.detach()).abs().mean()


def rotation_triplet_loss(rot_before: Tensor, rot_after: Tensor,
                          margin: float = TRIPLET_MARGIN) -> Tensor:
    """``L_rt = mean max(|r2| − |r1| + margin, 0)``.

    Args:
        rot_before (Tensor): ``r1``, (..., 3) rotation predicted on the raw
            pair.
        rot_after (Tensor): ``r2``, predicted on the rectified pair.
        margin (float): Defaults to 0.05.
    """
    _check_pair('rotation_triplet_loss', rot_before, rot_after)
    return (rot_after.abs() - rot_before.abs() + margin).clamp(min=0).mean()


@MODELS.register_module()
class RotationRectificationLoss(nn.Module):
    """Both rectification terms, weighted (module docstring).

    Args:
        consistency_weight (float): Weight of ``L_rc``. Defaults to 1.
        triplet_weight (float): Weight of ``L_rt``. Defaults to 1.
        margin (float): Triplet margin. Defaults to 0.05.

    Returns of :meth:`forward`: ``loss_rot_consistency``,
    ``loss_rot_triplet``.
    """

    def __init__(self, consistency_weight: float = 1.0,
                 triplet_weight: float = 1.0,
                 margin: float = TRIPLET_MARGIN) -> None:
        super().__init__()
        for name, value in (('consistency_weight', consistency_weight),
                            ('triplet_weight', triplet_weight),
                            ('margin', margin)):
            if not isinstance(value, Real) or isinstance(value, bool) or \
                    value < 0:
                raise ValueError(f'RotationRectificationLoss: {name} must '
                                 f'be a non-negative number, got {value!r}')
        self.consistency_weight = float(consistency_weight)
        self.triplet_weight = float(triplet_weight)
        self.margin = float(margin)

    def forward(self, rot_before: Tensor, rot_after: Tensor,
                rot_pred: Tensor, rot_target: Tensor) -> Dict[str, Tensor]:
        """Args: ``r1``, ``r2``, ``r3`` and ``r*`` of the module
        docstring."""
        return dict(
            loss_rot_consistency=self.consistency_weight *
            rotation_consistency_loss(rot_pred, rot_target),
            loss_rot_triplet=self.triplet_weight * rotation_triplet_loss(
                rot_before, rot_after, self.margin))

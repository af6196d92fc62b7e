"""The pseudo-depth terms of SC-DepthV3 (MeSa's supervised stage,
REFERENCE.md §4): normal matching, confident ranking and edge-aware
relative normals, each weighted 0.1 by default::

    L_pseudo = w_n · L_n + w_r · L_rank + w_rn · L_rn

The photometric and geometry terms (weights 1 and 0.1) that complete
SC-DepthV3's loss come from the photometric loss module; its
``mean_ref(1 − D_diff)`` map is this module's ``confidence``.
"""
from numbers import Real
from typing import Dict, Optional

import torch
from torch import Tensor, nn

from mmpretrain.registry import MODELS
from .dense_checks import check_map
from .normals import normal_matching_loss, surface_normals
from .ranking import confident_ranking_loss, sample_ranking_pairs
from .relative_normal import (relative_normal_loss,
                              sample_relative_normal_pairs)


@MODELS.register_module()
class PseudoDepthLoss(nn.Module):
    """``w_n · L_n + w_r · L_rank + w_rn · L_rn`` (module docstring); the
    terms are :func:`~sgmim.models.losses.normal_matching_loss`,
    :func:`~sgmim.models.losses.confident_ranking_loss` and
    :func:`~sgmim.models.losses.relative_normal_loss`, normals from
    :func:`~sgmim.models.losses.surface_normals`.

    Args:
        normal_weight (float): w_n ≥ 0. Defaults to 0.1.
        ranking_weight (float): w_r ≥ 0. Defaults to 0.1.
        relative_normal_weight (float): w_rn ≥ 0. Defaults to 0.1.
            A term of weight 0 is not computed and not returned.
        ranking_ratio (float): ρ of the ranking labels. Defaults to 1.15.
        sample_ratio (float): Global ranking pairs per pixel. Defaults to
            0.1.
        unreliable_ratio (float): Least-confident fraction of each image
            paired for ranking. Defaults to 0.2.
        min_depth (float): Pseudo-depths ≤ it label no ranking pair.
            Defaults to 1e-8.
        border (int): Edge-free border in px. Defaults to 5.
        depth_edge_ratio (float): Pseudo-depth edge threshold (relative).
            Defaults to 0.1.
        edge_ratio (float): Anchor threshold (relative). Defaults to 0.1.
        min_edge (float): Absolute edge floor. Defaults to 1e-4.
        min_distance, max_distance (int): Point distances
            ``randint(min, max)``. Defaults to 3 and 20.
        reference_direction (bool): The reference's folded sampling
            direction. Defaults to False.

    :meth:`forward` returns ``loss_normal``, ``loss_ranking`` and
    ``loss_relative_normal`` (weighted, those of positive weight).
    """

    def __init__(self,
                 normal_weight: float = 0.1,
                 ranking_weight: float = 0.1,
                 relative_normal_weight: float = 0.1,
                 ranking_ratio: float = 1.15,
                 sample_ratio: float = 0.1,
                 unreliable_ratio: float = 0.2,
                 min_depth: float = 1e-8,
                 border: int = 5,
                 depth_edge_ratio: float = 0.1,
                 edge_ratio: float = 0.1,
                 min_edge: float = 1e-4,
                 min_distance: int = 3,
                 max_distance: int = 20,
                 reference_direction: bool = False) -> None:
        super().__init__()
        weights = dict(normal=normal_weight, ranking=ranking_weight,
                       relative_normal=relative_normal_weight)
        for name, value in weights.items():
            if (not isinstance(value, Real) or isinstance(value, bool)
                    or not value >= 0):
                raise ValueError(f'PseudoDepthLoss: {name}_weight must be a '
                                 f'number >= 0, got {value!r}')
        if not isinstance(ranking_ratio, Real) or not ranking_ratio > 1:
            raise ValueError(f'PseudoDepthLoss: ranking_ratio must be > 1, '
                             f'got {ranking_ratio!r}')
        self.weights = {k: float(v) for k, v in weights.items() if v > 0}
        self.ranking = dict(ratio=float(ranking_ratio),
                            min_depth=float(min_depth))
        self.ranking_sampling = dict(sample_ratio=sample_ratio,
                                     unreliable_ratio=unreliable_ratio)
        self.edge_sampling = dict(
            border=border, depth_edge_ratio=depth_edge_ratio,
            edge_ratio=edge_ratio, min_edge=min_edge,
            min_distance=min_distance, max_distance=max_distance,
            reference_direction=bool(reference_direction))
        # the samplers' own checks, on a probe: fail at build time
        probe = torch.ones(1, 1, 2, 2)
        try:
            sample_ranking_pairs((1, 2, 2), probe, **self.ranking_sampling)
            sample_relative_normal_pairs(
                probe.expand(1, 3, 2, 2), probe, probe.expand(1, 3, 2, 2),
                **self.edge_sampling)
        except (TypeError, ValueError) as error:
            raise type(error)(f'PseudoDepthLoss: {error}') from None

    def forward(self, pred_depth: Tensor, pseudo_depth: Tensor,
                intrinsics: Tensor, image: Tensor,
                confidence: Optional[Tensor] = None,
                generator: Optional[torch.Generator] = None
                ) -> Dict[str, Tensor]:
        """The weighted terms.

        Args:
            pred_depth (Tensor): (B, 1, H, W) predicted depth (not
                disparity).
            pseudo_depth (Tensor): (B, 1, H, W) pseudo-depth (detached).
            intrinsics (Tensor): (B, 3, 3) K of these maps.
            image (Tensor): (B, C, H, W) target image (channel 0 = R gives
                the image edges).
            confidence (Tensor, optional): (B, 1, H, W)
                ``mean_ref(1 − D_diff)``; without it the ranking term uses
                the global pairs only.
            generator (torch.Generator, optional): For the pair sampling;
                the global RNG (seeded by the runner) otherwise.
        """
        owner = 'PseudoDepthLoss'
        check_map(owner, 'pred_depth', pred_depth, 1)
        check_map(owner, 'pseudo_depth', pseudo_depth, 1, like=pred_depth,
                  like_name='pred_depth')
        check_map(owner, 'image', image, like=pred_depth,
                  like_name='pred_depth')
        if confidence is not None:
            check_map(owner, 'confidence', confidence, 1, like=pred_depth,
                      like_name='pred_depth')
        with torch.autocast(pred_depth.device.type, enabled=False):
            return self._terms(pred_depth.float(),
                               pseudo_depth.detach().float(),
                               intrinsics.float(), image.detach().float(),
                               confidence, generator)

    def _terms(self, pred_depth, pseudo_depth, intrinsics, image, confidence,
               generator) -> Dict[str, Tensor]:
        out = {}
        needs_normals = {'normal', 'relative_normal'} & set(self.weights)
        if needs_normals:
            pred_normals = surface_normals(pred_depth, intrinsics)
            with torch.no_grad():
                pseudo_normals = surface_normals(pseudo_depth, intrinsics)
        if 'normal' in self.weights:
            out['loss_normal'] = normal_matching_loss(pred_normals,
                                                      pseudo_normals)
        if 'ranking' in self.weights:
            batch, _, height, width = pred_depth.shape
            pairs = sample_ranking_pairs(
                (batch, height, width), confidence, generator=generator,
                device=pred_depth.device, **self.ranking_sampling)
            out['loss_ranking'] = confident_ranking_loss(
                pred_depth, pseudo_depth, *pairs, **self.ranking)
        if 'relative_normal' in self.weights:
            pairs = sample_relative_normal_pairs(
                image, pseudo_depth, pseudo_normals, generator=generator,
                **self.edge_sampling)
            out['loss_relative_normal'] = relative_normal_loss(
                pred_normals, pseudo_normals, *pairs)
        return {f'loss_{name}': out[f'loss_{name}'] * weight
                for name, weight in self.weights.items()}

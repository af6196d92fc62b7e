"""LUT on SimMIM: the context loss on a mask-token encoder."""
import math
from typing import List, Optional, Tuple, Union

import torch
from mmpretrain.registry import MODELS
from torch import nn

from .lut import LUT, _check_disjoint

__all__ = ['LUTSimMIM']

POOL_TOKENS = ('visible', 'all')


@MODELS.register_module()
class LUTSimMIM(LUT):
    """LUT (REFERENCE.md §2) with SimMIM as the masked-image model: the
    teacher, projector, predictor and context loss of ``LUT``; the student
    is SimMIM's encoder, which sees every patch with the masked ones
    replaced by a learnable mask token, and its one-layer decoder.

    .. math::

        L = L_{SimMIM}(x_1, M_1) + λ·½[ℓ(s_2, t_1) + ℓ(s_1, t_2)]

    Masks: one random permutation ``π`` of the N mask patches
    (``mask_patch_size`` cells, SimMIM's 32 px) per image; with SimMIM's
    count of masked cells ``ceil(mask_ratio·N)``, each view keeps
    ``K = N − ceil(mask_ratio·N)`` cells: view 1 ``π[:K]``, view 2
    ``π[K:2K]`` (disjoint, which needs ``mask_ratio ≥ 0.5``).
    ``L_SimMIM``: the ``head``'s L1 on the masked pixels of view 1, logged
    as ``loss_simmim``.
    Student vector ``s_v = predictor(projector(pool(Enc(x_v, M_v))))``;
    teacher ``t_v = projector_T(mean of Enc_T(x_v)'s patch tokens)`` on the
    unmasked view.

    ``pool_tokens`` (the paper's SimMIM variant gives no detail here, a
    choice): 'visible' (default) averages the output tokens of the
    visible patches only, the tokens LUT's MAE variant pools; 'all'
    averages every patch token, mask-token positions included.

    Args:
        backbone (dict): ``SimMIMVisionTransformer`` (one output map).
        neck (dict): ``SimMIMLinearDecoder``.
        head (dict): ``SimMIMHead``.
        projector (dict): As ``LUT``.
        predictor (dict): As ``LUT``.
        mask_patch_size (int): Side of a mask cell in pixels, a multiple of
            the encoder's patch size dividing its ``img_size``.
            Defaults to 32.
        mask_ratio (float): Fraction of masked cells per view, in
            [0.5, 1). Defaults to 0.6 (SimMIM's).
        pool_tokens (str): 'visible' or 'all'. Defaults to 'visible'.
        **kwargs: The other ``LUT`` arguments (``context_loss``,
            ``context_loss_weight``, ``teacher_covers``, ``base_momentum``,
            ``end_momentum``, ``momentum_iters``,
            ``teacher_update_buffers``, ``data_preprocessor``,
            ``init_cfg``).
    """

    reconstruction_key = 'loss_simmim'

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 projector: dict,
                 predictor: dict,
                 mask_patch_size: int = 32,
                 mask_ratio: float = 0.6,
                 pool_tokens: str = 'visible',
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None,
                 **kwargs) -> None:
        if pool_tokens not in POOL_TOKENS:
            raise ValueError(f'pool_tokens: expected one of {POOL_TOKENS}, '
                             f'got {pool_tokens!r}')
        if not 0 < mask_ratio < 1:
            raise ValueError(f'mask_ratio: expected a number in (0, 1), got '
                             f'{mask_ratio!r}')
        # read by _visible_count, which LUT.__init__ calls
        self.mask_patch_size = mask_patch_size
        self.mask_ratio = mask_ratio
        self.pool_tokens = pool_tokens
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            projector=projector,
            predictor=predictor,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
            **kwargs)

    def _visible_count(self) -> Tuple[int, int]:
        """(K, N) on the mask-cell grid of the encoder's input size."""
        patch = self.backbone.patch_embed.projection.kernel_size[0]
        grid = self.backbone.patch_resolution
        if self.mask_patch_size % patch or any(
                side * patch % self.mask_patch_size for side in grid):
            raise ValueError(
                f'mask_patch_size {self.mask_patch_size} must be a multiple '
                f'of the patch size {patch} and divide the input size '
                f'{tuple(side * patch for side in grid)}')
        self.cell = self.mask_patch_size // patch  # patches per cell side
        self.cell_grid = tuple(side // self.cell for side in grid)
        total = self.cell_grid[0] * self.cell_grid[1]
        visible = total - math.ceil(total * self.mask_ratio)
        _check_disjoint(visible, total, self.mask_ratio)
        return visible, total

    def visible_mask(self, keep: torch.Tensor) -> torch.Tensor:
        """SimMIM mask (B, h, w) on the patch grid, 1 = masked, 0 on the
        cells ``keep`` (B, K)."""
        cells = torch.ones(keep.shape[0], self.num_mask_patches,
                           device=keep.device)
        cells.scatter_(1, keep, 0.)
        cells = cells.view(-1, *self.cell_grid)
        return cells.repeat_interleave(self.cell, 1).repeat_interleave(
            self.cell, 2)

    def extract_feat(self, inputs: torch.Tensor):
        """Encoder features of unmasked images, as SimMIM."""
        return self.backbone(inputs, mask=None)

    def student(self, view1: torch.Tensor, view2: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """SimMIM on view 1 and the pooled student tokens of both views."""
        batch = view1.shape[0]
        _, keep1, keep2 = self.draw_visible(batch, view1.device)
        mask1, mask2 = self.visible_mask(keep1), self.visible_mask(keep2)
        latent1, latent2 = self.backbone(
            torch.cat([view1, view2]), torch.cat([mask1, mask2]))[0].split(
                batch)
        loss_rec = self.head.loss(self.neck(latent1), view1, mask1)
        return loss_rec, self._pool(latent1, mask1), self._pool(
            latent2, mask2)

    def _pool(self, latent: torch.Tensor, mask: torch.Tensor
              ) -> torch.Tensor:
        """(B, C, h, w) -> (B, C): the mean of the visible (or all)
        patch tokens."""
        if self.pool_tokens == 'all':
            return latent.mean(dim=(2, 3))
        weight = (1 - mask).to(latent.dtype)[:, None]
        return (latent * weight).sum(dim=(2, 3)) / weight.sum(dim=(2, 3))

    def teacher_pooled(self, views: torch.Tensor) -> torch.Tensor:
        """Mean patch token (2B, C) of the teacher on the full views."""
        latent = self.teacher.module.backbone(views, mask=None)[0]
        return latent.mean(dim=(2, 3))

"""SG-MIM: structured-knowledge guided masked image modeling."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from mmpretrain.models import BaseSelfSupervisor
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from sgmim.analysis.features import default_layers
from ..utils import gather_tokens, patchify, uniform_index
from .mto_mixin import MTOMixin


@MODELS.register_module()
class SGMIM(MTOMixin, BaseSelfSupervisor):
    """SG-MIM (REFERENCE.md §1): SimMIM plus a structure reconstruction
    guided by a pseudo-depth map.

    ``L = λ_I·L_I + λ_S·L_S`` with
    ``L_I = |D_I(I_F) - x|_1`` averaged over masked image pixels
    (``M_I = 1``) and ``L_S = |D_S(I_SF) - s|_1`` averaged over masked
    structure pixels (``M_S = 1``), where ``I_F = Enc(x, M_I)[-1]`` and
    ``I_SF = guidance_neck(I_F, s, M_S)``. With complementary masks
    (``M_S = 1 - M_I``, the paper's default) the structure-masked pixels are
    the image-visible ones; with independent masks (the "random" ablation)
    they are not, and L_S still scores only the map pixels the model did
    not see.

    Each data sample carries ``mask`` (h0, w0) (``M_I``, 1 = masked image
    patch), ``structure_map`` (1, H, W) (``s``) and ``structure_mask``
    (h0, w0) (``M_S``, 1 = masked map patch). Only the encoder
    (``backbone.``) is needed for transfer.

    Args:
        backbone (dict): SimMIM encoder, ``backbone(img, mask)`` returning a
            tuple of (B, C_i, h_i, w_i) maps whose last one is ``I_F``.
        neck (dict): Image decoder ``D_I`` (e.g. ``SimMIMLinearDecoder``).
        head (dict): Image loss (``SimMIMHead``, L1 with ``channel=3``).
        guidance_neck (dict): ``RelationalGuidanceNeck``.
        structure_neck (dict): Structure decoder ``D_S``
            (``LinearPixelShuffleDecoder`` with ``out_channels=1``).
        structure_head (dict): Structure loss (``SimMIMHead``, L1 with
            ``channel=1``).
        image_loss_weight (float): λ_I. Defaults to 1.0.
        structure_loss_weight (float): λ_S. Defaults to 1.0.
        sparse_structure_branch (bool): Compute the structure branch only
            where it reaches L_S: the extractor on the visible map tokens,
            the fusion, ``D_S`` and L_S on the tokens holding a
            structure-masked pixel (``forward_tokens`` of the guidance neck and
            of ``D_S``, whose 1×1 conv + pixel shuffle maps each token to its
            own pixels). L_S weighs only those pixels, so the loss and every
            gradient are those of the full computation. Used when every
            sample has the same number of such tokens (SG-MIM's mask
            generator draws a fixed count; mask patches no smaller than the
            encoder's stride keep tokens wholly visible or masked), else the
            full computation runs. Exact for complementary and random
            masks alike. Set False only with a structure decoder
            that mixes tokens. Defaults to True.
        mto (dict, optional): MTO's losses on the image encoder
            (:class:`MTOMixin`: ``MTOLoss`` options plus ``layers``; layer 0
            ``backbone.drop_after_pos``, then every block), with the image
            mask ``M_I``. Defaults to None (off: plain SG-MIM).
        data_preprocessor (dict | nn.Module, optional): Defaults to None
            (``SelfSupDataPreprocessor``).
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 guidance_neck: dict,
                 structure_neck: dict,
                 structure_head: dict,
                 image_loss_weight: float = 1.0,
                 structure_loss_weight: float = 1.0,
                 sparse_structure_branch: bool = True,
                 mto: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.guidance_neck = MODELS.build(guidance_neck)
        self.structure_neck = MODELS.build(structure_neck)
        self.structure_head = MODELS.build(structure_head)
        self.image_loss_weight = image_loss_weight
        self.structure_loss_weight = structure_loss_weight
        self.sparse_structure_branch = sparse_structure_branch
        self._init_mto(mto)

    def extract_feat(self, inputs: Union[torch.Tensor,
                                         Sequence[torch.Tensor]]):
        """Encoder features of unmasked images, as SimMIM."""
        return self.backbone(_as_batch(inputs), mask=None)

    def _mto_blocks(self) -> List[str]:
        return default_layers(self)

    def loss(self, inputs: Union[torch.Tensor, Sequence[torch.Tensor]],
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """Image and structure reconstruction losses, plus ``loss_mto_*``
        when MTO is on."""
        return self._loss_with_mto(self._reconstruction_loss, inputs,
                                   data_samples)

    def _reconstruction_loss(
            self, inputs: Union[torch.Tensor, Sequence[torch.Tensor]],
            data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """Image and structure reconstruction losses.

        Args:
            inputs (Tensor | list[Tensor]): (B, 3, H, W) normalised images,
                or a list holding that one view.
            data_samples (list[DataSample]): With ``mask``,
                ``structure_map`` and ``structure_mask``.

        Returns:
            dict: ``loss_img`` (λ_I·L_I) and ``loss_structure`` (λ_S·L_S).
        """
        img = _as_batch(inputs)
        mask = _stack(data_samples, 'mask', img)
        structure_map = _stack(data_samples, 'structure_map', img)
        structure_mask = _stack(data_samples, 'structure_mask', img)
        B, _, H, W = img.shape
        if structure_map.shape != (B, 1, H, W):
            raise ValueError(f'structure_map batch shape '
                             f'{tuple(structure_map.shape)} does not match '
                             f'the image batch shape {tuple(img.shape)}')
        if mask.dim() != 3 or structure_mask.shape != mask.shape:
            raise ValueError(f'structure_mask batch shape '
                             f'{tuple(structure_mask.shape)} does not match '
                             f'the (B, h0, w0) mask shape {tuple(mask.shape)}')

        # found before the encoder is queued: it reads counts back from the
        # device, which would otherwise wait for the encoder's kernels
        query_index = (_token_index_covering(structure_mask,
                                             self.guidance_neck.grid)
                       if self.sparse_structure_branch else None)
        key_index = (self.guidance_neck.visible_key_index(structure_mask)
                     if query_index is not None else None)
        img_latent = self.backbone(img, mask)[-1]
        loss_img = self.head.loss(self.neck(img_latent), img, mask)
        if query_index is None:
            fused = self.guidance_neck(img_latent, structure_map,
                                       structure_mask, self.backbone)
            loss_structure = self.structure_head.loss(
                self.structure_neck(fused), structure_map, structure_mask)
        else:
            loss_structure = self._structure_loss_at(
                query_index, key_index, img_latent, structure_map,
                structure_mask)
        return dict(
            loss_img=self.image_loss_weight * loss_img,
            loss_structure=self.structure_loss_weight * loss_structure)

    def _structure_loss_at(self, query_index: torch.Tensor,
                           key_index: Optional[torch.Tensor],
                           img_latent: torch.Tensor,
                           structure_map: torch.Tensor,
                           structure_mask: torch.Tensor) -> torch.Tensor:
        """L_S computed on the tokens ``query_index`` (B, K) only, with the
        structure tokens ``key_index`` as keys (see the guidance neck's
        ``forward_tokens``); equal to the full L_S when the queries hold
        every structure-masked pixel.

        ``L_S = Σ_p (M_S)_p |D_S(I_SF)_p - s_p| / Σ_p (M_S)_p`` over
        the pixels p of the query tokens' patches (the structure head's
        ``PixelReconstructionLoss`` with a pixel weight, as ``SimMIMHead``
        applies it).
        """
        fused = self.guidance_neck.forward_tokens(
            img_latent, structure_map, structure_mask, query_index,
            key_index, self.backbone)
        pred = self.structure_neck.forward_tokens(fused)  # (B, K, c, r, r)
        stride = pred.shape[-1]
        target = gather_tokens(patchify(structure_map, stride), query_index)
        # M_S of the query tokens' mask patches, then per pixel
        patch_size = self.structure_head.patch_size
        cells = stride // patch_size  # mask patches per token side
        weight = gather_tokens(patchify(structure_mask[:, None], cells),
                               query_index).view(*pred.shape[:2], 1, cells,
                                                 cells)
        weight = weight.repeat_interleave(patch_size, 3).repeat_interleave(
            patch_size, 4)
        return self.structure_head.loss_module(pred, target.view_as(pred),
                                               weight)


def _as_batch(inputs: Union[torch.Tensor, Sequence[torch.Tensor]]
              ) -> torch.Tensor:
    """(B, 3, H, W) or a one-view list [(B, 3, H, W)] -> (B, 3, H, W)."""
    if not isinstance(inputs, torch.Tensor):
        if len(inputs) != 1:
            raise ValueError('SGMIM takes one view: a (B, 3, H, W) batch or '
                             f'a list holding one, got {len(inputs)} items')
        inputs = inputs[0]
    if inputs.dim() != 4:
        raise ValueError('SGMIM expects (B, 3, H, W) images, got shape '
                         f'{tuple(inputs.shape)}')
    return inputs


def _token_index_covering(selected: torch.Tensor, grid: Sequence[int]
                          ) -> Optional[torch.Tensor]:
    """Indices (B, K) of the tokens of the (h, w) grid covering at least one
    selected patch of ``selected`` (B, h0, w0) (1 = selected; SG-MIM: the
    structure-masked patches, ``M_S = 1``), from ``uniform_index``; None when
    the patch grid is not a multiple of the token grid or the samples'
    counts differ (the encoder then checks the grid against the image)."""
    (h0, w0), (h, w) = selected.shape[1:], grid
    if h0 % h or w0 % w:
        return None
    covered = F.max_pool2d(selected[:, None], (h0 // h, w0 // w))
    return uniform_index(covered.flatten(1) > 0)


def _stack(data_samples: List[DataSample], field: str,
           like: torch.Tensor) -> torch.Tensor:
    """Stack a per-sample field (tensor or array) into a float batch."""
    return torch.stack([
        torch.as_tensor(getattr(ds, field)) for ds in data_samples
    ]).to(device=like.device, dtype=like.dtype)

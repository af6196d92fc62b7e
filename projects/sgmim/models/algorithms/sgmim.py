"""SG-MIM: structured-knowledge guided masked image modeling."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from mmpretrain.models import BaseSelfSupervisor
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample


@MODELS.register_module()
class SGMIM(BaseSelfSupervisor):
    """SG-MIM (REFERENCE.md §1): SimMIM plus a structure reconstruction
    guided by a pseudo-depth map.

    ``L = λ_I·L_I + λ_S·L_S`` with
    ``L_I = |D_I(I_F) - x|_1`` averaged over masked image pixels
    (``M_I = 1``) and ``L_S = |D_S(I_SF) - s|_1`` averaged over pixels where
    the image is visible (``M_I = 0``), where ``I_F = Enc(x, M_I)[-1]`` and
    ``I_SF = guidance_neck(I_F, s, M_S)``.

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
        sparse_fusion (bool): Compute the guidance fusion only for the tokens
            that hold an image-visible pixel (``query_mask`` of
            ``RelationalGuidanceNeck``): L_S weighs only those pixels and
            ``D_S`` (1×1 conv + pixel shuffle) maps each token to its own
            pixels, so the loss and gradients are unchanged. Set False only
            with a structure decoder that mixes tokens. Defaults to True.
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
                 sparse_fusion: bool = True,
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
        self.sparse_fusion = sparse_fusion

    def extract_feat(self, inputs: Union[torch.Tensor,
                                         Sequence[torch.Tensor]]):
        """Encoder features of unmasked images, as SimMIM."""
        return self.backbone(_as_batch(inputs), mask=None)

    def loss(self, inputs: Union[torch.Tensor, Sequence[torch.Tensor]],
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

        img_latent = self.backbone(img, mask)[-1]
        loss_img = self.head.loss(self.neck(img_latent), img, mask)
        query_mask = (_image_visible_tokens(mask, img_latent.shape[-2:])
                      if self.sparse_fusion else None)
        fused = self.guidance_neck(img_latent, structure_map, structure_mask,
                                   self.backbone, query_mask=query_mask)
        loss_structure = self.structure_head.loss(
            self.structure_neck(fused), structure_map, 1. - mask)
        return dict(
            loss_img=self.image_loss_weight * loss_img,
            loss_structure=self.structure_loss_weight * loss_structure)


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


def _image_visible_tokens(mask: torch.Tensor,
                          grid: Sequence[int]) -> Optional[torch.Tensor]:
    """bool (B, h * w): tokens of the (h, w) grid covering at least one
    image-visible patch of ``mask`` (B, h0, w0) (1 = masked); None (every
    token) when the patch grid is not a multiple of the token grid."""
    (h0, w0), (h, w) = mask.shape[1:], grid
    if h0 % h or w0 % w:
        return None
    visible = F.max_pool2d((1. - mask)[:, None], (h0 // h, w0 // w))
    return visible.flatten(1) > 0


def _stack(data_samples: List[DataSample], field: str,
           like: torch.Tensor) -> torch.Tensor:
    """Stack a per-sample field (tensor or array) into a float batch."""
    return torch.stack([
        torch.as_tensor(getattr(ds, field)) for ds in data_samples
    ]).to(device=like.device, dtype=like.dtype)

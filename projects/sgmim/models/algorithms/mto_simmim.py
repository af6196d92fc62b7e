"""SimMIM with MTO's losses as a switch (``mto=dict(...)``)."""
from typing import Dict, List, Optional

import torch

from mmpretrain.models import SimMIM
from mmpretrain.registry import MODELS
from sgmim.analysis.features import default_layers
from .mto_mixin import MTOMixin


@MODELS.register_module()
class MTOSimMIM(MTOMixin, SimMIM):
    """mmpretrain's ``SimMIM`` plus MTO (:class:`MTOMixin`) on the encoder:
    layer 0 ``backbone.drop_after_pos``, then every ViT / Swin / SwinV2
    block.

    Args:
        mto (dict, optional): ``MTOLoss`` options plus ``layers``; None (the
            default) is plain SimMIM.
        **kwargs: ``SimMIM``'s arguments.
    """

    mto_plain_loss_key = 'loss_simmim'

    def __init__(self, *args, mto: Optional[dict] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_mto(mto)

    def _mto_blocks(self) -> List[str]:
        return default_layers(self)

    def loss(self, inputs: torch.Tensor, data_samples: list,
             **kwargs) -> Dict[str, torch.Tensor]:
        """SimMIM's ``loss``, plus ``loss_mto_*`` when MTO is on (SimMIM's
        own then logged as ``loss_simmim``)."""
        return self._loss_with_mto(super().loss, inputs, data_samples,
                                   **kwargs)

"""MAE with MTO's losses as a switch (``mto=dict(...)``)."""
import contextlib
from typing import Dict, List, Optional

import torch

from mmpretrain.models import MAE
from mmpretrain.registry import MODELS
from .mto_mixin import MTOMixin


@MODELS.register_module()
class MTOMAE(MTOMixin, MAE):
    """mmpretrain's ``MAE`` plus MTO (:class:`MTOMixin`) on the decoder,
    where the mask tokens are: layer 0 ``neck.decoder_blocks.0:input``,
    then every decoder block. The mask is the one MAE's encoder draws.

    Args:
        mto (dict, optional): ``MTOLoss`` options plus ``layers`` (of
            ``neck``); None (the default) is plain MAE.
        **kwargs: ``MAE``'s arguments.
    """

    mto_embedding = 'neck.decoder_blocks.0:input'
    mto_scope = 'neck'
    mto_plain_loss_key = 'loss_mae'
    mto_scope_note = ("MAE's encoder drops the masked patches: it holds no "
                      'mask token')

    def __init__(self, *args, mto: Optional[dict] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_mto(mto)

    def _check_mto_source(self) -> None:
        if not hasattr(self.neck, 'decoder_blocks'):
            raise ValueError(f'MTOMAE: MTO reads the decoder blocks '
                             f'(neck.decoder_blocks), and '
                             f'{type(self.neck).__name__} has none')

    def _mto_blocks(self) -> List[str]:
        return [f'neck.decoder_blocks.{i}'
                for i in range(len(self.neck.decoder_blocks))]

    @contextlib.contextmanager
    def _mto_recording(self):
        """Record the mask MAE's encoder draws, (B, L), 1 = removed."""
        record = {}

        def keep_mask(module, args, output):
            record.setdefault('mask', output[1])

        handle = self.backbone.register_forward_hook(keep_mask)
        try:
            yield record
        finally:
            handle.remove()

    def _mto_patch_mask(self, data_samples, record: dict) -> torch.Tensor:
        return record['mask'].reshape(-1, *self.backbone.patch_resolution)

    def loss(self, inputs: torch.Tensor, data_samples: list,
             **kwargs) -> Dict[str, torch.Tensor]:
        """MAE's ``loss``, plus ``loss_mto_*`` when MTO is on (MAE's own
        then logged as ``loss_mae``)."""
        return self._loss_with_mto(super().loss, inputs, data_samples,
                                   **kwargs)

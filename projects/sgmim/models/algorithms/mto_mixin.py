"""MTO as a switch on a MIM algorithm: ``mto=dict(...)`` adds
:class:`~sgmim.models.losses.MTOLoss` to its loss dict (REFERENCE.md §3).

The features come from forward hooks
(:class:`sgmim.analysis.features.FeatureCapture`, graph kept) that exist
only while ``loss`` runs, so the network's outputs, parameters and state
dict are those of the plain algorithm; ``mto=None`` (the default) calls the
plain ``loss`` and nothing else.

Layers (``mto=dict(layers=[...])`` overrides them; the first is layer 0):

* SimMIM / SG-MIM (mask-token encoders): ``backbone.drop_after_pos``, the
  patch embedding with the mask tokens (and the position embedding), before
  the first block; then every encoder block.
* MAE: its encoder drops the masked patches, so the mask tokens live in the
  decoder: ``neck.decoder_blocks.0:input`` (decoder embedding, mask tokens,
  decoder position embedding), then every decoder block.

Only layer 0 is captured unless ``L_r`` is on. A leading cls token is left
out. On a Swin stage's grid the masked and visible sets follow the stage
rule of :func:`sgmim.analysis.heterogeneity.split_on_token_grid` (a merged
token is masked when all its patches are, mixed tokens are in neither set).
With MTO on, a plain loss logged as ``loss`` (SimMIM's, MAE's) is renamed
(``loss_simmim``, ``loss_mae``): mmengine logs the total under ``loss`` and
would otherwise show the reconstruction term there.
"""
import contextlib
import difflib
from typing import Callable, Dict, List, Optional, Sequence

import torch

from mmpretrain.registry import MODELS
from sgmim.analysis.features import (INPUT_SUFFIX, FeatureCapture,
                                     TokenFeatures)
from sgmim.analysis.heterogeneity import split_on_token_grid


class MTOMixin:
    """MTO for an mmpretrain ``BaseSelfSupervisor``.

    A class using it sets :attr:`mto_embedding` and :attr:`mto_scope`,
    implements :meth:`_mto_blocks` (and :meth:`_mto_patch_mask` /
    :meth:`_mto_recording` where the mask is not a data-sample field), calls
    :meth:`_init_mto` at the end of ``__init__`` and wraps its loss with
    :meth:`_loss_with_mto`.
    """

    #: layer 0, the initial embedding with the mask tokens
    mto_embedding = 'backbone.drop_after_pos'
    #: the part of the model whose tokens hold the mask tokens
    mto_scope = 'backbone'
    #: why layers elsewhere are refused
    mto_scope_note = 'the mask tokens are there'
    #: with MTO on, the plain loss's ``loss`` key is logged under this name,
    #: so that mmengine's logged ``loss`` is the total
    mto_plain_loss_key = 'loss'

    def _init_mto(self, mto: Optional[dict]) -> None:
        """Build ``self.mto_loss`` (None: off) and ``self.mto_layers``.

        Raises:
            ValueError: ``mto`` is not a dict, the feature source has no mask
                tokens, or a layer is outside it.
            KeyError: A layer names no module (the message lists the token
                layers that exist).
        """
        self.mto_loss = None
        self.mto_layers: List[str] = []
        if mto is None:
            return
        if not isinstance(mto, dict):
            raise ValueError(f'{type(self).__name__}: mto must be a dict of '
                             f'MTOLoss options (or None), got {mto!r}')
        mto = dict(mto)
        layers = mto.pop('layers', None)
        self._check_mto_source()
        defaults = [self.mto_embedding, *self._mto_blocks()]
        layers = list(defaults if layers is None else layers)
        self._check_mto_layers(layers, defaults)
        self.mto_loss = MODELS.build(dict(type='MTOLoss', **mto))
        self.mto_layers = layers if self.mto_loss.needs_blocks else layers[:1]

    def _check_mto_source(self) -> None:
        if not hasattr(self.backbone, 'mask_token'):
            raise ValueError(
                f'{type(self).__name__}: MTO needs mask tokens in the '
                f'encoder, and {type(self.backbone).__name__} has none (a '
                'SimMIM encoder has backbone.mask_token)')

    def _check_mto_layers(self, layers: Sequence[str],
                          defaults: Sequence[str]) -> None:
        if not layers or len(set(layers)) != len(layers):
            raise ValueError(f'{type(self).__name__}: mto layers must be a '
                             f'non-empty list without repeats, got {layers}')
        modules = dict(self.named_modules())
        for name in layers:
            module = name.removesuffix(INPUT_SUFFIX)
            if module.split('.')[0] != self.mto_scope:
                raise ValueError(
                    f'{type(self).__name__}: mto layer {name!r} is outside '
                    f'{self.mto_scope} ({self.mto_scope_note}); its token '
                    f'layers: {", ".join(defaults)}')
            if module not in modules:
                near = difflib.get_close_matches(module, list(modules), n=3)
                raise KeyError(
                    f'{type(self).__name__}: mto layer {name!r} is not a '
                    f'module of the model (nearest: {", ".join(near)}); its '
                    f'token layers: {", ".join(defaults)}')

    def _mto_blocks(self) -> List[str]:
        """The default layers 1..L."""
        raise NotImplementedError

    def _mto_recording(self):
        """A context around the plain loss yielding a dict that
        :meth:`_mto_patch_mask` reads (default: nothing recorded)."""
        return contextlib.nullcontext({})

    def _mto_patch_mask(self, data_samples, record: dict) -> torch.Tensor:
        """(B, h0, w0) mask on the patch grid, 1 = masked: the data
        samples' ``mask`` (SimMIM's mask generators)."""
        return torch.stack([torch.as_tensor(ds.mask) for ds in data_samples])

    def _loss_with_mto(self, loss: Callable, inputs, data_samples,
                       **kwargs) -> Dict[str, torch.Tensor]:
        """``loss(inputs, data_samples, **kwargs)``, plus the MTO terms when
        MTO is on."""
        if self.mto_loss is None:
            return loss(inputs, data_samples, **kwargs)
        capture = FeatureCapture(self, self.mto_layers, detach=False,
                                 first_call=True)
        with capture, self._mto_recording() as record:
            losses = loss(inputs, data_samples, **kwargs)
        if 'loss' in losses:
            losses[self.mto_plain_loss_key] = losses.pop('loss')
        features = capture.collect()
        mask = self._mto_patch_mask(data_samples, record).to(
            features[0].tokens.device)
        splits = {}
        for name, feature in zip(self.mto_layers, features):
            if feature.hw not in splits:
                splits[feature.hw] = self._split(name, feature, mask)
        losses.update(self.mto_loss(
            [f.tokens for f in features], [splits[f.hw] for f in features],
            self.mto_layers))
        return losses

    def _split(self, name: str, feature: TokenFeatures, mask: torch.Tensor):
        if feature.hw is None or feature.tokens.shape[0] != mask.shape[0]:
            raise ValueError(
                f'{type(self).__name__}: mto layer {name!r} gives '
                f'{tuple(feature.tokens.shape)} tokens on no grid of the '
                f'{tuple(mask.shape)} (B, h0, w0) mask; name token layers of '
                f'{self.mto_scope}')
        try:
            return split_on_token_grid(mask, feature.hw)
        except ValueError as error:
            raise ValueError(f'{type(self).__name__}: mto layer {name!r}: '
                             f'{error}') from None

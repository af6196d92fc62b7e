"""``init_cfg=dict(type='Pretrained', ...)`` for pre-trained encoders.

Transfer configs expose the pre-trained encoder through one key,
``model.backbone.init_cfg.checkpoint``. This subclass of mmengine's
``PretrainedInit`` is registered under the same name, which must stay
``'Pretrained'``: mmengine's ``BaseModule`` runs it after the children's own
initialisation only under that name, and backbones such as mmpretrain's
ViT/Swin test for it to skip re-initialising position embeddings after
loading. It differs from mmengine's in three ways:

- ``checkpoint=None`` keeps the module's own initialisation (mmengine fails
  on ``None``), so one config also runs from random weights;
- with ``prefix='backbone.'`` both a full checkpoint (``backbone.*`` keys,
  heads and decoders ignored) and an extracted encoder file (the keys without
  the prefix) load;
- with ``strict=True`` (all transfer configs of this project) a checkpoint
  that does not fit the encoder is an error naming the file and listing the
  missing keys, the unexpected keys and the shape mismatches. Only what
  transfer legitimately changes passes: :data:`NEW_IN_TRANSFER` may be
  missing, :data:`DROPPED_IN_TRANSFER` may be unexpected; shapes must agree
  after the backbone's own resizing (position tables and embeddings).
  ``strict=False`` (mmengine's behaviour, the default) logs the same list as
  a warning and trains on; opt out on the command line with
  ``--cfg-options model.backbone.init_cfg.strict=False``.
"""
import logging
import re
from typing import Optional, Sequence

from mmengine.logging import print_log
from mmengine.model.weight_init import PretrainedInit, update_init_info
from mmengine.registry import WEIGHT_INITIALIZERS
from mmengine.runner.checkpoint import _load_checkpoint

from sgmim.utils.checkpoint_conversion import strip_prefix, unwrap_state_dict
from .load_report import LoadReport, load_with_report

#: Module entries a pre-trained encoder need not hold: the output norms that
#: dense or pooled outputs add (mmpretrain Swin/SwinV2 ``norm{i}`` of
#: ``out_indices``; ViT ``ln1`` final and ``ln2`` pooled-output norm) and
#: buffers the module computes itself (Swin window indices and coordinate
#: tables, batch-norm counters).
NEW_IN_TRANSFER = (r'norm\d+\..+', r'ln[12]\..+',
                   r'(.+\.)?relative_position_index',
                   r'(.+\.)?relative_coords_table',
                   r'(.+\.)?num_batches_tracked')
#: Checkpoint entries a transfer backbone may leave out: the mask token of
#: masked image modelling, a class token the backbone does not use
#: (ViTDet-style ``with_cls_token=False``) and output norms it does not
#: apply (ViT ``final_norm=False``, Swin stages outside ``out_indices``).
DROPPED_IN_TRANSFER = (r'mask_token', r'cls_token', r'norm\d+\..+',
                       r'ln[12]\..+')
#: Keys shown per list in a message; the rest are counted.
SHOWN_KEYS = 20


class EncoderCheckpointError(RuntimeError):
    """A pre-trained checkpoint does not fit the encoder it initialises."""


def encoder_state_dict(checkpoint: dict, prefix: Optional[str]) -> dict:
    """The encoder entries of a loaded checkpoint.

    The tensors under ``state_dict`` (or ``model``, or the checkpoint
    itself); with ``prefix``, the entries under it with the prefix removed,
    or every entry when no key starts with it (an extracted encoder).
    """
    state_dict = unwrap_state_dict(checkpoint, ('state_dict', 'model'))
    if prefix and any(key.startswith(prefix) for key in state_dict):
        return strip_prefix(state_dict, prefix)
    return state_dict


def _explained(key: str, patterns: Sequence[str]) -> bool:
    return any(re.fullmatch(pattern, key) for pattern in patterns)


def unexplained(report: LoadReport) -> LoadReport:
    """The part of ``report`` that transfer does not explain."""
    return LoadReport(
        [k for k in report.missing if not _explained(k, NEW_IN_TRANSFER)],
        [k for k in report.unexpected
         if not _explained(k, DROPPED_IN_TRANSFER)], list(report.mismatched))


def describe(report: LoadReport) -> str:
    """One line per non-empty list of ``report`` (a shape mismatch per
    line), at most :data:`SHOWN_KEYS` entries each."""
    lines = []
    for title, entries, sep in (('missing keys', report.missing, ', '),
                                ('unexpected keys', report.unexpected, ', '),
                                ('shape mismatches', report.mismatched,
                                 '\n    ')):
        if entries:
            shown = entries[:SHOWN_KEYS]
            if len(entries) > SHOWN_KEYS:
                shown.append(f'... ({len(entries) - SHOWN_KEYS} more)')
            lead = ' ' if sep == ', ' else sep
            lines.append(f'  {title} ({len(entries)}):{lead}'
                         f'{sep.join(shown)}')
    return '\n'.join(lines)


@WEIGHT_INITIALIZERS.register_module(name='Pretrained', force=True)
class OptionalPretrainedInit(PretrainedInit):
    """Load a pre-trained encoder into a module, or keep its initialisation
    if ``checkpoint`` is ``None``.

    Args:
        checkpoint (str, optional): Checkpoint file or URL; None keeps the
            module's own initialisation.
        prefix (str, optional): Prefix of the module's entries in a full
            checkpoint (``'backbone.'``); a file without any key under it is
            loaded as it is. Defaults to None.
        map_location (str): Same as :func:`torch.load`. Defaults to 'cpu'.
        strict (bool): Raise :class:`EncoderCheckpointError` when encoder
            entries are missing, unexpected or of another shape beyond what
            transfer explains (module docstring); False logs them as a
            warning. Defaults to False.
    """

    def __init__(self, checkpoint: Optional[str], prefix: Optional[str] = None,
                 map_location: str = 'cpu', strict: bool = False) -> None:
        super().__init__(checkpoint, prefix=prefix, map_location=map_location)
        self.strict = strict

    def __call__(self, module) -> None:
        name = type(module).__name__
        if self.checkpoint is None:
            print_log(f'{name}: init_cfg.checkpoint is None, keeping the '
                      'random initialisation', logger='current')
            return
        print_log(f'load {self.prefix or "model"} in {name} from: '
                  f'{self.checkpoint}', logger='current')
        checkpoint = _load_checkpoint(self.checkpoint, self.map_location)
        report = load_with_report(
            module, encoder_state_dict(checkpoint, self.prefix))
        self._check(name, report)
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _check(self, name: str, report: LoadReport) -> None:
        """Raise (``strict``) or warn on what transfer does not explain;
        log the explained differences."""
        problems = unexplained(report)
        explained = LoadReport(
            *[[k for k in keys if k not in bad]
              for keys, bad in zip(report, problems)])
        if any(explained):
            print_log(f'{name} from {self.checkpoint}: expected transfer '
                      f'differences (new output norms, computed buffers, '
                      f'pre-training-only entries):\n{describe(explained)}',
                      logger='current')
        if not any(problems):
            return
        message = (
            f'{self.checkpoint} does not fit {name} (prefix '
            f'{self.prefix!r}):\n{describe(problems)}\nConvert a published '
            'checkpoint with tools/model_converters/convert_published.py '
            'first. To go on without these weights, set strict=False in '
            'this init_cfg (--cfg-options '
            'model.backbone.init_cfg.strict=False).')
        if self.strict:
            raise EncoderCheckpointError(message)
        print_log(message, logger='current', level=logging.WARNING)

"""Load Swin / SwinV2 encoders into backbones with a different window size.

A window-attention layer has state that depends only on its window size W:

- Swin v1 (``WindowMSA``): the learned ``relative_position_bias_table``
  ((2W−1)², heads) and the buffer ``relative_position_index`` (W², W²);
- SwinV2 (``WindowMSAV2``): the buffers ``relative_coords_table``
  (1, 2W−1, 2W−1, 2) and ``relative_position_index``; the learned part, the
  continuous position bias (CPB) MLP, is size-independent. The table holds
  ``t = sign(r)·log2(1 + |r|)/3`` with ``r = 8·Δ/(P − 1)`` for offsets
  ``Δ ∈ [−(W−1), W−1]``, where P is ``pretrained_window_size`` if set, else W.

What mmpretrain 1.2.0 does on loading (pre-hooks of the backbones):

- ``SwinTransformer._prepare_relative_position_bias_table`` resizes every
  bias table whose size differs (BEiT geometric interpolation; needs
  scipy < 1.14) -- correct -- and *deletes* the incoming
  ``relative_position_index``. The module keeps its own index (right value),
  but torch then reports that buffer as a missing key.
- ``SwinTransformerV2._delete_reinit_params`` deletes every incoming
  ``relative_position_index`` and ``relative_coords_table`` on *every* load,
  also when the window sizes agree. The values that stay are right (the
  module's own), but (a) each load reports two missing keys per block (48
  for SwinV2-B), which buries genuinely missing weights in the log, and (b)
  the checkpoint's normalisation window P is thrown away unchecked: its CPB
  MLP was trained on ``Δ·8/(P−1)``, and a module fine-tuned at a larger
  window without ``pretrained_window_sizes`` feeds it ``Δ·8/(W−1)``: a
  silently stretched bias function instead of the extrapolation of the SwinV2
  recipe. No other key of a checkpoint records P.

The fix (the mixins below override those two mmpretrain hook methods, so it
runs on every ``load_state_dict``, ``load_checkpoint`` and
``init_cfg=dict(type='Pretrained', ...)``; nobody converts checkpoints):

- incoming size-dependent buffers are *replaced* by the module's own,
  computed from its window size, instead of deleted: nothing stale, no size
  mismatch, nothing reported missing;
- SwinV2: before that, P is read back from the checkpoint's
  ``relative_coords_table`` (``P = 1 + 8·(W−1)/(2^{3·t_max} − 1)``) and
  compared with the module's; a mismatch is logged as a warning naming the
  stage and the ``pretrained_window_sizes`` entry that follows the recipe.

Classes with the fix: ``SimMIMSwinTransformerV2`` and the fine-tuning
drop-ins ``TransferSwinTransformer`` / ``TransferSwinTransformerV2``.
mmpretrain's own classes are left unpatched (they load correct values; only
their missing-key report and the missing CPB check differ).
"""
import logging
import math
from typing import (Dict, Iterable, List, NamedTuple, Optional, Tuple,
                    Type)

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmpretrain.models.utils import WindowMSA, WindowMSAV2

SWIN_V1_BUFFERS = ('relative_position_index', )
SWIN_V2_BUFFERS = ('relative_coords_table', 'relative_position_index')


def own_window_buffers(root: nn.Module, prefix: str,
                       window_cls: Type[nn.Module],
                       names: Tuple[str, ...]) -> Dict[str, torch.Tensor]:
    """The size-dependent buffers of every ``window_cls`` inside ``root``.

    Returns:
        dict: ``{prefix + module_name + '.' + buffer: tensor}``, the values
        the module computed from its own window size.
    """
    buffers = {}
    for name, module in root.named_modules():
        if isinstance(module, window_cls):
            for buffer in names:
                buffers[f'{prefix}{name}.{buffer}'] = getattr(
                    module, buffer).detach().clone()
    return buffers


def replace_present(state_dict: dict, values: Dict[str, torch.Tensor],
                    keys: Iterable[str]) -> None:
    """``state_dict[k] = values[k]`` for each ``k`` in ``keys``, in place."""
    for key in keys:
        state_dict[key] = values[key]


def cpb_normalisation_window(
        coords_table: torch.Tensor) -> Tuple[Optional[float], ...]:
    """The window P that normalised a SwinV2 ``relative_coords_table``.

    Inverts ``t = log2(1 + 8·(W−1)/(P−1))/3`` at the largest offset W−1
    of each axis: ``P = 1 + 8·(W−1)/(2^{3t} − 1)``.

    Args:
        coords_table (torch.Tensor): (1, 2W_h−1, 2W_w−1, 2).

    Returns:
        tuple: (P_h, P_w); an entry is None where W = 1 (no offsets).
    """
    if coords_table.dim() != 4 or coords_table.shape[-1] != 2:
        raise ValueError('relative_coords_table must be (1, 2Wh-1, 2Ww-1, 2),'
                         f' got {tuple(coords_table.shape)}')
    sizes = ((coords_table.shape[1] + 1) // 2,
             (coords_table.shape[2] + 1) // 2)
    t_max = (coords_table[0, -1, sizes[1] - 1, 0].item(),
             coords_table[0, sizes[0] - 1, -1, 1].item())
    windows = []
    for size, t in zip(sizes, t_max):
        if size == 1 or not math.isfinite(t) or t <= 0:
            windows.append(None)
        else:
            windows.append(1. + 8. * (size - 1) / (2.**(3. * t) - 1.))
    return tuple(windows)


class CPBMismatch(NamedTuple):
    """A SwinV2 attention layer whose CPB normalisation differs."""
    key: str  # state-dict key of the layer's relative_coords_table
    checkpoint_window: Tuple[int, int]  # W of the checkpoint
    checkpoint_norm: Tuple[Optional[float], ...]  # P of the checkpoint
    module_window: Tuple[int, int]  # W of the module
    module_norm: Tuple[Optional[float], ...]  # P of the module


def cpb_normalisation_mismatches(root: nn.Module, state_dict: dict,
                                 prefix: str = '',
                                 tol: float = 1e-3) -> List[CPBMismatch]:
    """SwinV2 layers whose checkpoint and module normalise CPB coordinates
    by different windows P (see the module docstring).

    Args:
        root (nn.Module): The backbone receiving ``state_dict``.
        state_dict (dict): The incoming weights (keys with ``prefix``).
        prefix (str): Key prefix of ``root`` in ``state_dict``.
        tol (float): Relative tolerance on P.
    """
    mismatches = []
    for name, module in root.named_modules():
        if not isinstance(module, WindowMSAV2):
            continue
        key = f'{prefix}{name}.relative_coords_table'
        if key not in state_dict:
            continue
        ckpt_table = state_dict[key]
        ckpt_norm = cpb_normalisation_window(ckpt_table)
        own_norm = cpb_normalisation_window(module.relative_coords_table)
        differs = any(
            (a is None) != (b is None) or (a is not None and not math.isclose(
                a, b, rel_tol=tol)) for a, b in zip(ckpt_norm, own_norm))
        if differs:
            mismatches.append(
                CPBMismatch(key, ((ckpt_table.shape[1] + 1) // 2,
                                  (ckpt_table.shape[2] + 1) // 2), ckpt_norm,
                            tuple(module.window_size), own_norm))
    return mismatches


def _format_norm(norm: Tuple[Optional[float], ...]) -> str:
    return '(' + ', '.join('-' if p is None else f'{p:g}'
                           for p in norm) + ')'


def warn_cpb_mismatches(mismatches: List[CPBMismatch]) -> None:
    """Log one warning listing each distinct mismatch per stage."""
    if not mismatches:
        return
    lines = {}
    for m in mismatches:
        stage = m.key.split('stages.')[-1].split('.')[0]
        p_ckpt = _format_norm(m.checkpoint_norm)
        lines.setdefault(
            (stage, p_ckpt, _format_norm(m.module_norm)),
            f'  stage {stage}: checkpoint window {m.checkpoint_window} '
            f'normalised by P={p_ckpt}; this module (window '
            f'{m.module_window}) by P={_format_norm(m.module_norm)}')
    print_log(
        'SwinV2 continuous-position-bias coordinates are normalised '
        'differently from the checkpoint, so the loaded CPB MLP sees '
        'rescaled offsets. To extrapolate as SwinV2 does, set '
        '`pretrained_window_sizes[stage]` to the checkpoint P:\n' +
        '\n'.join(lines.values()),
        logger='current',
        level=logging.WARNING)


class SwinWindowTransferMixin:
    """For mmpretrain's ``SwinTransformer`` (v1) and its subclasses: keep the
    module's own ``relative_position_index`` as a *loaded* key where
    mmpretrain deletes it after resizing a bias table.

    Put it before the mmpretrain class in the bases; it overrides the
    pre-hook method mmpretrain registers in ``__init__``.
    """

    def _prepare_relative_position_bias_table(self, state_dict, prefix,
                                              *args, **kwargs):
        """Resize tables as mmpretrain does; then restore index buffers."""
        own = own_window_buffers(self, prefix, WindowMSA, SWIN_V1_BUFFERS)
        present = [key for key in own if key in state_dict]
        super()._prepare_relative_position_bias_table(state_dict, prefix,
                                                      *args, **kwargs)
        replace_present(state_dict, own, present)


class SwinV2WindowTransferMixin:
    """For mmpretrain's ``SwinTransformerV2`` and its subclasses: check the
    checkpoint's CPB normalisation, then load the module's own
    ``relative_coords_table`` / ``relative_position_index`` in place of the
    incoming ones instead of deleting them (see the module docstring).

    Put it before the mmpretrain class in the bases; it overrides the
    pre-hook method mmpretrain registers in ``__init__``.
    """

    def _delete_reinit_params(self, state_dict, prefix, *args, **kwargs):
        """Replace (not delete) incoming size-dependent SwinV2 buffers."""
        warn_cpb_mismatches(
            cpb_normalisation_mismatches(self, state_dict, prefix))
        own = own_window_buffers(self, prefix, WindowMSAV2, SWIN_V2_BUFFERS)
        replace_present(state_dict, own,
                        [key for key in own if key in state_dict])

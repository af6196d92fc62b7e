"""Key mapping of published checkpoints onto this project's backbone layouts.

Target layouts are those of mmpretrain's ``SimMIMSwinTransformer``, our
``SimMIMSwinTransformerV2`` and mmpretrain's ``VisionTransformer`` / our
``SimMIMVisionTransformer``. One converter per source format:

============  ==============================================================
``simmim``    Microsoft SimMIM (``model``: ``encoder.*`` Swin, SwinV2 or ViT,
              ``decoder.*``).
``sgmim``     SG-MIM authors' code (SimMIM plus the guidance branch): only
              ``encoder.*`` is kept, then as ``simmim``.
``mae``       Official MAE ViT (``model``: ``blocks.*``, ``decoder_*``).
``lut``       LUT authors' code (``model`` or ``model_ema``: MAE encoder and
              decoder, ``head`` / ``predictor`` MLPs): the whole model, as
              ``backbone.*``, ``neck.*``, ``projector.*``, ``predictor.*``.
============  ==============================================================

Every converter returns ``(state_dict, dropped)``: the converted tensors and
the source keys deliberately left out (decoders, guidance branch,
classification heads, ``attn_mask`` buffers). Source keys a converter does
not know are passed through unchanged, so :func:`compare_with_target`
reports them as *unexpected*; ``lut``, whose layout is fully known, refuses
them (:class:`UnknownKeysError`).

Patch merging: Microsoft's ``PatchMerging`` concatenates the four 2×2
neighbours as ``[x(0,0), x(1,0), x(0,1), x(1,1)]`` channel blocks; mmpretrain's
uses ``nn.Unfold``, whose order is channel-major with neighbours
``(0,0), (0,1), (1,0), (1,1)``. :func:`unfold_reduction_order` and
:func:`unfold_norm_order` reorder ``downsample.reduction.weight`` (input
columns) and, for Swin v1's pre-norm, ``downsample.norm``; the mapping is that
of mmseg's ``tools/model_converters/swin2mmseg.py``, rewritten here because
mmseg defines it inside a script function. SwinV2's merging is post-norm
(norm over the output channels, no reorder) and mmpretrain places it at the
*start* of the next stage (``layers.i.downsample`` -> ``stages.{i+1}``).
"""
import os
import os.path as osp
import re
import tempfile
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch

StateDict = Dict[str, torch.Tensor]

SOURCE_FORMATS = ('simmim', 'sgmim', 'mae', 'lut')

#: The authors' LUT heads (``nn.Sequential`` of Linear, BN, ReLU, Linear:
#: indices 0, 1, 3) -> the modules of our ``LUT`` model (mmpretrain
#: ``NonLinearNeck``: ``fc0``, ``bn0``, ``fc1``). Adjust here if the model's
#: module names change.
LUT_HEADS = {'head': 'projector', 'predictor': 'predictor'}
LUT_HEAD_LAYERS = {'0': 'fc0', '1': 'bn0', '3': 'fc1'}
#: Where the parts of our ``LUT`` model live (mmpretrain's ``MAE`` names).
LUT_ENCODER_PREFIX, LUT_DECODER_PREFIX = 'backbone.', 'neck.'
#: The prefix of the keys of the authors' ``model_ema`` entry.
LUT_EMA_PREFIX = 'ema.'

_W_B = r'\.(weight|bias)'
_TIMM_BLOCK = (r'\d+\.(norm1|norm2|attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2)'
               + _W_B)
_BN = r'\.(weight|bias|running_mean|running_var|num_batches_tracked)'
#: Every key of the authors' LUT state dict (``models_lut.py``), by part.
LUT_KEY_PATTERNS = {
    'encoder': re.compile('(?:' + '|'.join([
        r'patch_embed\.proj' + _W_B, r'cls_token', r'pos_embed',
        r'blocks\.' + _TIMM_BLOCK, r'norm' + _W_B]) + ')$'),
    'decoder': re.compile('(?:' + '|'.join([
        r'decoder_embed' + _W_B, r'mask_token', r'decoder_pos_embed',
        r'decoder_blocks\.' + _TIMM_BLOCK, r'decoder_norm' + _W_B,
        r'decoder_pred' + _W_B]) + ')$'),
    'heads': re.compile(r'(head|predictor)\.([03]\.weight|1' + _BN + ')$'),
}


class UnknownKeysError(KeyError):
    """A published checkpoint holds keys its format does not define."""

    def __str__(self) -> str:  # the message, not KeyError's repr of it
        return str(self.args[0]) if self.args else ''


#: Named targets for ``--arch``: ``<family>-<mmpretrain arch>``.
TARGET_FAMILIES = {
    'swin': dict(type='mmpretrain.SimMIMSwinTransformer', img_size=192),
    'swinv2': dict(type='SimMIMSwinTransformerV2', img_size=192,
                   window_size=[12, 12, 12, 6]),
    'vit': dict(type='SimMIMVisionTransformer', img_size=224,
                patch_size=16),
}


#: Keys whose absence on either side is expected (MAE's mask token lives in
#: the decoder; transfer backbones have none).
BENIGN_KEYS = ('mask_token', )


class ShapeMismatchError(ValueError):
    """A converted tensor does not have the target model's shape."""


# --------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------
def unwrap_state_dict(checkpoint: dict,
                      keys: Sequence[str] = ('state_dict', 'model')
                      ) -> StateDict:
    """The tensor dict of a checkpoint: ``checkpoint[k]`` for the first of
    ``keys`` present, else the checkpoint itself; a ``module.`` prefix (DDP)
    is stripped."""
    if not isinstance(checkpoint, dict):
        raise TypeError(f'expected a dict checkpoint, got {type(checkpoint)}')
    state_dict = checkpoint
    for key in keys:
        if isinstance(checkpoint.get(key), dict):
            state_dict = checkpoint[key]
            break
    if state_dict and all(k.startswith('module.') for k in state_dict):
        state_dict = strip_prefix(state_dict, 'module.')
    return state_dict


def strip_prefix(state_dict: StateDict, prefix: str) -> StateDict:
    """Entries under ``prefix``, with the prefix removed."""
    return OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                       if k.startswith(prefix))


def add_prefix(state_dict: StateDict, prefix: str) -> StateDict:
    """Prepend ``prefix`` to every key."""
    return OrderedDict((prefix + k, v) for k, v in state_dict.items())


def _matches(key: str, names: Iterable[str]) -> bool:
    return any(key == n or key.startswith(n + '.') for n in names)


def extract_backbone(state_dict: StateDict,
                     prefix: str = 'backbone.',
                     drop: Sequence[str] = ('mask_token', ),
                     keep_prefix: bool = True) -> Tuple[StateDict, list]:
    """Backbone weights of one of our pre-training checkpoints.

    Args:
        state_dict (dict): Full model state dict.
        prefix (str): Prefix of the backbone entries. Defaults to
            ``'backbone.'``.
        drop (Sequence[str]): Backbone entries (after the prefix; a name
            drops itself and its children) that exist only for pre-training.
            Defaults to ``('mask_token', )``.
        keep_prefix (bool): Keep ``prefix`` on the kept keys, the layout
            the transfer configs' ``init_cfg=dict(type='Pretrained',
            prefix='backbone.')`` reads (it also reads bare keys).
            Defaults to True.

    Returns:
        tuple: ``(kept state dict, dropped source keys)``.
    """
    kept, dropped = OrderedDict(), []
    for key, value in state_dict.items():
        if not key.startswith(prefix) or _matches(key[len(prefix):], drop):
            dropped.append(key)
            continue
        kept[key if keep_prefix else key[len(prefix):]] = value
    if not kept:
        raise KeyError(f'no state_dict entry starts with {prefix!r}; first '
                       f'keys: {list(state_dict)[:5]}')
    return kept, dropped


def compare_with_target(state_dict: StateDict, target: StateDict
                        ) -> Tuple[List[str], List[str]]:
    """Missing and unexpected keys of ``state_dict`` against ``target``.

    Raises:
        ShapeMismatchError: some key is in both with different shapes; the
            message names every such key with both shapes.
    """
    mismatches = [
        f'{k}: converted {tuple(v.shape)} vs target '
        f'{tuple(target[k].shape)}' for k, v in state_dict.items()
        if k in target and tuple(v.shape) != tuple(target[k].shape)
    ]
    if mismatches:
        raise ShapeMismatchError('shape mismatch between the converted '
                                 'checkpoint and the target model:\n  ' +
                                 '\n  '.join(mismatches))
    missing = [k for k in target if k not in state_dict]
    unexpected = [k for k in state_dict if k not in target]
    return missing, unexpected


def save_checkpoint_atomic(checkpoint: dict, path: str) -> None:
    """``torch.save`` to a temporary file next to ``path``, then
    ``os.replace``: readers never see a partly written file."""
    out_dir = osp.dirname(osp.abspath(path))
    os.makedirs(out_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_dir, suffix='.tmp')
    os.close(fd)
    try:
        torch.save(checkpoint, tmp)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def build_target_backbone(config: Optional[str] = None,
                          arch: Optional[str] = None):
    """The target backbone, from a config (``model.backbone``, or ``model``
    when it has no backbone) or an ``--arch`` name ``<family>-<arch>`` with
    family in :data:`TARGET_FAMILIES` (``swin-base``, ``swinv2-base``,
    ``vit-base`` ...)."""
    import sgmim  # noqa: F401  (registers our backbones)
    from mmpretrain.registry import MODELS
    if (config is None) == (arch is None):
        raise ValueError('give exactly one of config and arch')
    if config is not None:
        from mmengine.config import Config
        model = Config.fromfile(config).model
        cfg = model.get('backbone', model)
        cfg = dict(cfg)
        cfg.pop('init_cfg', None)
    else:
        family, _, size = arch.partition('-')
        if family not in TARGET_FAMILIES or not size:
            raise ValueError(f'unknown arch {arch!r}; expected '
                             f'<{"|".join(TARGET_FAMILIES)}>-<size>')
        cfg = dict(TARGET_FAMILIES[family], arch=size)
    return MODELS.build(cfg)


# --------------------------------------------------------------------------
# Swin / SwinV2 (Microsoft layout -> mmpretrain)
# --------------------------------------------------------------------------
def unfold_reduction_order(weight: torch.Tensor) -> torch.Tensor:
    """Reorder the input columns of a Microsoft ``PatchMerging.reduction``
    weight ``(out, 4C)`` to mmpretrain's ``nn.Unfold`` order."""
    out_channels, in_channels = weight.shape
    weight = weight.reshape(out_channels, 4, in_channels // 4)
    return weight[:, [0, 2, 1, 3], :].transpose(1, 2).reshape(
        out_channels, in_channels)


def unfold_norm_order(weight: torch.Tensor) -> torch.Tensor:
    """Reorder a Microsoft pre-merging norm parameter ``(4C, )`` to
    mmpretrain's ``nn.Unfold`` order."""
    in_channels = weight.shape[0]
    weight = weight.reshape(4, in_channels // 4)
    return weight[[0, 2, 1, 3], :].transpose(0, 1).reshape(in_channels)


def is_swin_v2(state_dict: StateDict) -> bool:
    """SwinV2 keys carry ``cpb_mlp`` / ``logit_scale``."""
    return any('cpb_mlp' in k or 'logit_scale' in k for k in state_dict)


def _num_stages(state_dict: StateDict) -> int:
    indices = [int(m.group(1)) for k in state_dict
               for m in [re.match(r'layers\.(\d+)\.', k)] if m]
    if not indices:
        raise KeyError('no "layers.<i>." key: not a Swin encoder')
    return max(indices) + 1


def _swin_block_key(rest: str) -> Optional[str]:
    """Map the part of a key after ``blocks.<j>.``; None drops it."""
    if rest == 'attn_mask':
        return None
    if rest.startswith('attn.'):
        return 'attn.w_msa.' + rest[len('attn.'):]
    if rest.startswith('mlp.fc1.'):
        return 'ffn.layers.0.0.' + rest[len('mlp.fc1.'):]
    if rest.startswith('mlp.fc2.'):
        return 'ffn.layers.1.' + rest[len('mlp.fc2.'):]
    return rest


def _swin_downsample(stage: int, rest: str, value: torch.Tensor, v2: bool):
    """Map ``layers.<stage>.downsample.<rest>`` (with the channel reorder)."""
    if rest.startswith('reduction.'):
        value = unfold_reduction_order(value)
    elif rest.startswith('norm.') and not v2:
        value = unfold_norm_order(value)
    target_stage = stage + 1 if v2 else stage
    return f'stages.{target_stage}.downsample.{rest}', value


def convert_swin(encoder: StateDict) -> Tuple[StateDict, list]:
    """Microsoft Swin / SwinV2 encoder keys (without ``encoder.``) to the
    layout of ``SimMIMSwinTransformer`` / ``SimMIMSwinTransformerV2``.

    Final ``norm`` becomes ``norm{num_stages - 1}``; ``head.*`` and
    ``attn_mask`` buffers are dropped.
    """
    v2, last = is_swin_v2(encoder), _num_stages(encoder) - 1
    out, dropped = OrderedDict(), []
    for key, value in encoder.items():
        new_key = key
        block = re.match(r'layers\.(\d+)\.blocks\.(\d+)\.(.+)$', key)
        down = re.match(r'layers\.(\d+)\.downsample\.(.+)$', key)
        if key.startswith('head.'):
            new_key = None
        elif block:
            rest = _swin_block_key(block.group(3))
            new_key = rest and (f'stages.{block.group(1)}.blocks.'
                                f'{block.group(2)}.{rest}')
        elif down:
            new_key, value = _swin_downsample(
                int(down.group(1)), down.group(2), value, v2)
        elif key.startswith('patch_embed.proj.'):
            new_key = key.replace('patch_embed.proj.',
                                  'patch_embed.projection.')
        elif key.startswith('norm.'):
            new_key = f'norm{last}.' + key[len('norm.'):]
        if new_key is None:
            dropped.append(key)
        else:
            out[new_key] = value
    return out, dropped


# --------------------------------------------------------------------------
# ViT (MAE / SimMIM / LUT layout -> mmpretrain)
# --------------------------------------------------------------------------
_VIT_BLOCK_RULES = (
    ('norm1.', 'ln1.'), ('norm2.', 'ln2.'), ('mlp.fc1.', 'ffn.layers.0.0.'),
    ('mlp.fc2.', 'ffn.layers.1.'), ('attn.qkv.', 'attn.qkv.'),
    ('attn.proj.', 'attn.proj.'), ('gamma_1', 'attn.gamma1.weight'),
    ('gamma_2', 'ffn.gamma2.weight'))


def _vit_block_key(rest: str) -> str:
    for old, new in _VIT_BLOCK_RULES:
        if rest.startswith(old):
            return new + rest[len(old):]
    return rest


def _merge_qv_bias(out: StateDict, encoder: StateDict) -> None:
    """BEiT/SimMIM ``attn.q_bias`` + ``attn.v_bias`` -> ``attn.qkv.bias``
    ``= [q_bias, 0, v_bias]`` (the key bias is zero)."""
    for key in [k for k in encoder if k.endswith('attn.q_bias')]:
        q_bias = encoder[key]
        v_bias = encoder[key.replace('q_bias', 'v_bias')]
        layer = re.match(r'blocks\.(\d+)\.', key).group(1)
        out[f'layers.{layer}.attn.qkv.bias'] = torch.cat(
            [q_bias, torch.zeros_like(q_bias), v_bias])


def convert_vit(encoder: StateDict,
                drop: Sequence[str] = ()) -> Tuple[StateDict, list]:
    """timm-style ViT encoder keys (MAE, SimMIM ViT) to mmpretrain's
    ``VisionTransformer`` layout.

    ``drop`` names top-level entries to leave out (a name drops itself and
    its children, ``decoder_`` style names drop by prefix); ``head.*`` is
    always dropped.
    """
    out, dropped = OrderedDict(), []
    for key, value in encoder.items():
        if key.startswith('head.') or _matches(key, drop) or any(
                d.endswith('_') and key.startswith(d) for d in drop):
            dropped.append(key)
        elif re.search(r'attn\.[qv]_bias$', key):
            continue
        elif key.startswith('blocks.'):
            layer, rest = key[len('blocks.'):].split('.', 1)
            out[f'layers.{layer}.{_vit_block_key(rest)}'] = value
        elif key.startswith('patch_embed.proj.'):
            out[key.replace('proj.', 'projection.', 1)] = value
        elif key.startswith('norm.'):
            out['ln1.' + key[len('norm.'):]] = value
        else:
            out[key] = value
    _merge_qv_bias(out, encoder)
    return out, dropped


# --------------------------------------------------------------------------
# source formats
# --------------------------------------------------------------------------
def _split_prefix(state_dict: StateDict,
                  prefix: str) -> Tuple[StateDict, list]:
    inside = strip_prefix(state_dict, prefix)
    if not inside:
        raise KeyError(f'no key starts with {prefix!r}; first keys: '
                       f'{list(state_dict)[:5]}')
    return inside, [k for k in state_dict if not k.startswith(prefix)]


def _convert_encoder(encoder: StateDict) -> Tuple[StateDict, list]:
    """Dispatch a SimMIM-code encoder to the Swin or ViT mapping."""
    if any(k.startswith('layers.') for k in encoder):
        return convert_swin(encoder)
    return convert_vit(encoder)


def convert_simmim(state_dict: StateDict) -> Tuple[StateDict, list]:
    """Official SimMIM (Swin, SwinV2, ViT): keep ``encoder.*``; the mask
    token is kept (our SimMIM backbones have one)."""
    encoder, dropped = _split_prefix(state_dict, 'encoder.')
    out, more = _convert_encoder(encoder)
    return out, dropped + ['encoder.' + k for k in more]


def convert_sgmim(state_dict: StateDict) -> Tuple[StateDict, list]:
    """SG-MIM authors' checkpoints: the image encoder ``encoder.*`` only
    (guidance branch, fusion block and both decoders are dropped)."""
    return convert_simmim(state_dict)


def convert_mae(state_dict: StateDict) -> Tuple[StateDict, list]:
    """Official MAE ViT: the decoder (``decoder_*``) and MAE's decoder-width
    ``mask_token`` are dropped."""
    return convert_vit(state_dict, drop=('mask_token', 'decoder_'))


def _lut_decoder_key(key: str) -> str:
    """MAE decoder key -> mmpretrain ``MAEPretrainDecoder`` key."""
    block = re.match(r'decoder_blocks\.(\d+)\.(.+)$', key)
    if block:
        return f'decoder_blocks.{block.group(1)}.' + _vit_block_key(
            block.group(2))
    if key.startswith('decoder_norm.'):
        return 'ln1.' + key[len('decoder_norm.'):]
    return key  # decoder_embed, mask_token, decoder_pos_embed, decoder_pred


def _lut_head_key(key: str) -> str:
    """``head.<i>.*`` / ``predictor.<i>.*`` -> our projector / predictor."""
    module, index, rest = key.split('.', 2)
    return f'{LUT_HEADS[module]}.{LUT_HEAD_LAYERS[index]}.{rest}'


def convert_lut(state_dict: StateDict) -> Tuple[StateDict, list]:
    """The authors' LUT model (``naver-ai/lut`` ``models_lut.py``, timm/MAE
    names) to the layout of our whole ``LUT`` model:

    - encoder (``patch_embed``, ``cls_token``, ``pos_embed``, ``blocks.i``,
      ``norm``) -> ``backbone.*`` as :func:`convert_vit`;
    - decoder (``decoder_embed``, ``mask_token``, ``decoder_pos_embed``,
      ``decoder_blocks.i``, ``decoder_norm`` -> ``ln1``, ``decoder_pred``)
      -> ``neck.*``, blocks with the encoder's sub-mapping;
    - ``head.{0,1,3}`` / ``predictor.{0,1,3}`` -> ``projector`` /
      ``predictor`` (:data:`LUT_HEADS`, :data:`LUT_HEAD_LAYERS`).

    Nothing is dropped; the teacher is not part of the authors' ``model``
    entry (its weights are ``model_ema``: :func:`convert_published` with
    ``ema=True``).

    Raises:
        UnknownKeysError: keys outside :data:`LUT_KEY_PATTERNS`, all listed.
    """
    unknown = [k for k in state_dict
               if not any(p.match(k) for p in LUT_KEY_PATTERNS.values())]
    if unknown:
        raise UnknownKeysError(
            f'{len(unknown)} keys are not in the LUT layout (timm/MAE '
            'encoder, MAE decoder, head / predictor MLPs): ' +
            ', '.join(unknown))
    parts = {name: OrderedDict() for name in LUT_KEY_PATTERNS}
    for key, value in state_dict.items():
        name = next(n for n, p in LUT_KEY_PATTERNS.items() if p.match(key))
        parts[name][key] = value
    encoder, _ = convert_vit(parts['encoder'])
    out = add_prefix(encoder, LUT_ENCODER_PREFIX)
    out.update((LUT_DECODER_PREFIX + _lut_decoder_key(k), v)
               for k, v in parts['decoder'].items())
    out.update((_lut_head_key(k), v) for k, v in parts['heads'].items())
    return out, []


CONVERTERS = {
    'simmim': convert_simmim,
    'sgmim': convert_sgmim,
    'mae': convert_mae,
    'lut': convert_lut,
}


def convert_published(checkpoint: dict, fmt: str,
                      ema: bool = False) -> Tuple[StateDict, list]:
    """Convert a loaded published checkpoint of format ``fmt`` (one of
    :data:`SOURCE_FORMATS`) to our layout: the backbone without
    ``backbone.``, except ``lut``, whose whole model comes with its module
    prefixes (:func:`convert_lut`).

    Args:
        ema (bool): ``lut`` only: convert the ``model_ema`` entry (keys
            prefixed ``ema.``) instead of ``model``. Defaults to False.
    """
    if fmt not in CONVERTERS:
        raise ValueError(f'unknown format {fmt!r}; choose from '
                         f'{SOURCE_FORMATS}')
    if ema and fmt != 'lut':
        raise ValueError(f'ema=True needs format lut, got {fmt!r}')
    if ema:
        if not isinstance(checkpoint.get('model_ema'), dict):
            raise KeyError('no model_ema entry (trained without '
                           f'--model-ema?); entries: {list(checkpoint)}')
        state_dict = unwrap_state_dict(checkpoint['model_ema'], ())
        outside = [k for k in state_dict if not k.startswith(LUT_EMA_PREFIX)]
        if outside:
            raise UnknownKeysError(
                f'{len(outside)} model_ema keys lack the '
                f'{LUT_EMA_PREFIX!r} prefix: ' + ', '.join(outside))
        return CONVERTERS[fmt](strip_prefix(state_dict, LUT_EMA_PREFIX))
    return CONVERTERS[fmt](unwrap_state_dict(checkpoint, ('model',
                                                          'state_dict')))

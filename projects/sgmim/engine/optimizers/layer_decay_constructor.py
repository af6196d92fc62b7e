"""Layer-wise learning-rate decay for mmpretrain ViT / Swin / SwinV2 backbones.

mmseg 1.2.2's ``LearningRateDecayOptimizerConstructor`` recognises backbones by
class-name strings (BEiT, MAE, ConvNeXt) and mmdet 3.3.0's wheel knows only
ConvNeXt, so neither handles ``mmpretrain.VisionTransformer`` /
``SwinTransformer`` / ``SwinTransformerV2`` (or our subclasses of them).
This constructor is registered in mmengine's root
``OPTIM_WRAPPER_CONSTRUCTORS``; the mmpretrain / mmseg / mmdet child registries
fall back to the root, so the same config line works in all three runners.
"""
import logging
from typing import Callable, Dict, List, Optional, Tuple

from mmengine.logging import print_log
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS
from torch import nn

from .grouped_constructor import (GroupedOptimWrapperConstructor,
                                  merge_param_groups)

#: Parameter-name components that never get weight decay (matched against the
#: dot-separated parts of a parameter's full name).
DEFAULT_NO_DECAY_NAMES = ('pos_embed', 'cls_token', 'mask_token',
                          'dist_token', 'relative_position_bias_table',
                          'absolute_pos_embed', 'cpb_mlp', 'logit_scale')

# Top-level backbone attributes that belong to the input embedding (id 0).
_VIT_EMBED = ('patch_embed', 'cls_token', 'pos_embed', 'mask_token',
              'dist_token', 'pre_norm')
_SWIN_EMBED = ('patch_embed', 'absolute_pos_embed', 'mask_token')


def _supported_types() -> Dict[str, tuple]:
    from mmpretrain.models.backbones import (SwinTransformer,
                                             SwinTransformerV2,
                                             VisionTransformer)
    return dict(
        vit=(VisionTransformer, ), swin=(SwinTransformer, ),
        swinv2=(SwinTransformerV2, ))


def _backbone_kind(module: nn.Module) -> Optional[str]:
    for kind, types in _supported_types().items():
        if isinstance(module, types):
            return kind
    return None


def vit_layer_id(name: str, num_layers: int) -> int:
    """Layer id of a ViT parameter (``name`` relative to the backbone).

    ``patch_embed``, ``cls_token``, ``pos_embed``, ``mask_token``,
    ``pre_norm`` -> 0; ``layers.i.*`` -> i + 1; everything else (the final
    norms ``ln1``/``ln2``, BEiT's shared ``rel_pos_bias``) -> num_layers + 1.
    """
    parts = name.split('.')
    if parts[0] == 'layers':
        return int(parts[1]) + 1
    if parts[0] in _VIT_EMBED:
        return 0
    return num_layers + 1


def swin_layer_id(name: str, depths: List[int],
                  downsample_first: bool) -> int:
    """Layer id of a Swin / SwinV2 parameter (``name`` relative to the
    backbone). Blocks are numbered globally, L = sum(depths):

    - ``patch_embed``, ``absolute_pos_embed``, ``mask_token`` -> 0;
    - ``stages.s.blocks.b.*`` -> sum(depths[:s]) + b + 1;
    - ``stages.s.downsample.*`` (patch merging) -> the id of the block whose
      output it consumes: sum(depths[:s + 1]) when it runs at the end of stage
      s (Swin v1, and the SimMIM fine-tuning code), sum(depths[:s]) when it
      runs at the start of stage s (mmpretrain's SwinV2). It is the same layer
      in both, so both get the same id as in SimMIM;
    - anything else (the final norms ``norm{i}``) -> L + 1.
    """
    parts = name.split('.')
    num_layers = sum(depths)
    if parts[0] == 'stages':
        stage = int(parts[1])
        if parts[2] == 'blocks':
            return sum(depths[:stage]) + int(parts[3]) + 1
        if parts[2] == 'downsample':
            return sum(depths[:stage if downsample_first else stage + 1])
        return sum(depths[:stage + 1])  # other per-stage parameters
    if parts[0] in _SWIN_EMBED:
        return 0
    return num_layers + 1


def find_backbone(model: nn.Module) -> Tuple[nn.Module, str, str]:
    """(backbone, its name prefix in ``model``, kind) for a model that is
    itself a supported backbone or has one as ``model.backbone``."""
    kind = _backbone_kind(model)
    if kind is not None:
        return model, '', kind
    backbone = getattr(model, 'backbone', None)
    if backbone is None:
        raise TypeError(
            'LayerDecayOptimWrapperConstructor: cannot find the backbone of '
            f'{type(model).__module__}.{type(model).__qualname__} (no '
            '`backbone` attribute, and the model is not itself a supported '
            'backbone).')
    kind = _backbone_kind(backbone)
    if kind is None:
        raise TypeError(
            'LayerDecayOptimWrapperConstructor supports mmpretrain '
            'VisionTransformer, SwinTransformer and SwinTransformerV2 '
            'backbones (and their subclasses), got '
            f'{type(backbone).__module__}.{type(backbone).__qualname__}.')
    prefix = next(n for n, m in model.named_modules() if m is backbone)
    return backbone, prefix, kind


def layer_id_fn(backbone: nn.Module, kind: str) -> Tuple[Callable, int]:
    """(function of the backbone-relative name -> layer id, num_layers)."""
    if kind == 'vit':
        num_layers = len(backbone.layers)
        return (lambda n: vit_layer_id(n, num_layers)), num_layers
    depths = [len(stage.blocks) for stage in backbone.stages]
    downsample_first = kind == 'swinv2'
    return (lambda n: swin_layer_id(n, depths, downsample_first)), sum(depths)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(GroupedOptimWrapperConstructor):
    """Layer-wise lr decay for a model whose backbone (``model.backbone``, or
    the model itself) is an mmpretrain ``VisionTransformer``,
    ``SwinTransformer`` or ``SwinTransformerV2`` (subclasses included).

    With L transformer blocks, every parameter gets a layer id in [0, L + 1]
    (see :func:`vit_layer_id`, :func:`swin_layer_id`): the input embedding is
    0, block i (global numbering) is i + 1, and the backbone's final norms and
    everything outside the backbone (neck, heads) are L + 1. Then

        lr = base_lr * lr_mult * layer_decay_rate ** (L + 1 - layer_id)

    where ``lr_mult`` comes from ``custom_keys`` (1 otherwise). The final
    norms share the top id with the heads, as in BEiT / MAE / SimMIM
    fine-tuning: they are trained at the full learning rate.

    Weight decay: parameters matched by ``custom_keys`` keep what mmengine
    gives them, and so do those given a decay by mmengine's
    ``norm_decay_mult``/``bias_decay_mult``/``flat_decay_mult``/
    ``dwconv_decay_mult``. Otherwise a parameter gets weight decay 0 if it is
    1-D (biases, norm weights; switch off with ``no_decay_flat=False``) or a
    component of its name is in ``no_decay_names`` (default
    :data:`DEFAULT_NO_DECAY_NAMES`: position embeddings, cls/mask tokens,
    relative-position tables, SwinV2's ``cpb_mlp`` and ``logit_scale``), and
    the optimizer's ``weight_decay`` else.

    Parameters with the same layer id and settings form one param group
    (``group_name`` like ``layer_3_decay``, with ``layer_id``, ``lr_scale``
    and torch's ``param_names``); the groups are logged as a table at INFO.

    Args:
        optim_wrapper_cfg (dict): As for ``DefaultOptimWrapperConstructor``.
        paramwise_cfg (dict): mmengine's paramwise options plus
            ``layer_decay_rate`` (float in (0, 1], required),
            ``no_decay_names`` (tuple of str, default
            ``DEFAULT_NO_DECAY_NAMES``) and ``no_decay_flat`` (bool, default
            True). ``num_layers`` (checked against the model) and
            ``decay_type='layer_wise'`` are accepted for configs written for
            mmseg's / mmdet's ``LearningRateDecayOptimizerConstructor``.

    Example:
        >>> optim_wrapper = dict(
        ...     optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
        ...     constructor='LayerDecayOptimWrapperConstructor',
        ...     paramwise_cfg=dict(layer_decay_rate=0.65))
    """

    default_no_decay_names = DEFAULT_NO_DECAY_NAMES
    default_no_decay_flat = True

    def __init__(self, optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None):
        paramwise_cfg = dict(paramwise_cfg or {})
        if 'layer_decay_rate' not in paramwise_cfg:
            raise ValueError(
                'LayerDecayOptimWrapperConstructor needs '
                'paramwise_cfg=dict(layer_decay_rate=...).')
        rate = float(paramwise_cfg.pop('layer_decay_rate'))
        if not 0. < rate <= 1.:
            raise ValueError(f'layer_decay_rate must be in (0, 1], got {rate}')
        self.layer_decay_rate = rate
        # accepted for configs written for mmseg's / mmdet's constructors
        self.num_layers = paramwise_cfg.pop('num_layers', None)
        decay_type = paramwise_cfg.pop('decay_type', 'layer_wise')
        if decay_type != 'layer_wise':
            raise ValueError('LayerDecayOptimWrapperConstructor only does '
                             f"decay_type='layer_wise', got {decay_type!r}")
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        if self.base_lr is None:
            raise ValueError('LayerDecayOptimWrapperConstructor needs '
                             'optimizer.lr to scale it.')

    def param_groups(self, model: nn.Module) -> List[dict]:
        """The optimizer's param groups for ``model`` (see class doc)."""
        backbone, prefix, kind = find_backbone(model)
        backbone_layer_id, num_layers = layer_id_fn(backbone, kind)
        if self.num_layers is not None and self.num_layers != num_layers:
            raise ValueError(
                f'paramwise_cfg.num_layers={self.num_layers} but the '
                f'{type(backbone).__name__} backbone has {num_layers} blocks '
                '(leave num_layers out: it is read from the model).')
        names = {id(p): n for n, p in model.named_parameters()}

        per_param: List[dict] = []
        self.add_params(per_param, model)  # custom_keys, *_decay_mult, ...
        self.exempt_from_decay(per_param, names)

        for group in per_param:
            (param, ) = group['params']
            name = names[id(param)]
            if not prefix:
                layer_id = backbone_layer_id(name)
            elif name.startswith(prefix + '.'):
                layer_id = backbone_layer_id(name[len(prefix) + 1:])
            else:
                layer_id = num_layers + 1
            scale = self.layer_decay_rate**(num_layers + 1 - layer_id)
            group['lr'] = group.get('lr', self.base_lr) * scale
            group.update(layer_id=layer_id, lr_scale=scale)

        groups = merge_param_groups(per_param, names)
        taken: Dict[str, int] = {}
        for group in groups:  # layer_3_decay, layer_3_decay_1, ...
            tag = 'no_decay' if group.get('weight_decay') == 0 else 'decay'
            base = f'layer_{group["layer_id"]}_{tag}'
            n_same = taken.get(base, 0)
            taken[base] = n_same + 1
            group['group_name'] = base + (f'_{n_same}' if n_same else '')
        result = sorted(groups,
                        key=lambda g: (g['layer_id'], g['group_name']))
        self._log_groups(result, kind, num_layers)
        return result

    def _log_groups(self, groups: List[dict], kind: str,
                    num_layers: int) -> None:
        rows = [('group', 'layer id', 'lr scale', 'lr', 'weight decay',
                 '#params')]
        for g in groups:
            wd = g.get('weight_decay')
            rows.append((g['group_name'], str(g['layer_id']),
                         f"{g['lr_scale']:.6g}", f"{g['lr']:.6g}",
                         'default' if wd is None else f'{wd:.6g}',
                         str(len(g['params']))))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ['  '.join(c.ljust(w) for c, w in zip(r, widths))
                 for r in rows]
        print_log(
            f'Layer-wise lr decay ({kind}, {num_layers} blocks, rate '
            f'{self.layer_decay_rate}): {len(groups)} param groups\n' +
            '\n'.join(lines), logger='current', level=logging.INFO)
        for g in groups:
            print_log(f"{g['group_name']}: {', '.join(g['param_names'])}",
                      logger='current', level=logging.DEBUG)

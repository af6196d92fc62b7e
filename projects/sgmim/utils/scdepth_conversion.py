"""SC-Depth checkpoints (JiawangBian/sc_depth_pl, V1 / V2 / V3) in the MeSa
stage layout: SC-Depth's ``depth_net`` (ResNet encoder + Monodepth2
decoder), ``pose_net`` and V2's ``rectify_net`` as ``MeSaGeometric``'s
``backbone.*`` (a ``MonodepthResNet``), ``decoder.*`` (``MonodepthDecoder``
with ``in_strides=(2, 4, 8, 16, 32)``), ``pose_net.*`` and
``rectify_net.*`` (``FramePairResNet``)."""
import re
from typing import Dict, List, Sequence, Tuple

from .checkpoint_conversion import UnknownKeysError, unwrap_state_dict

StateDict = Dict[str, object]

#: The networks a checkpoint may hold: SC-Depth prefix -> our prefixes.
SCDEPTH_PARTS = {
    'depth': ('depth_net.', ('backbone.', 'decoder.')),
    'pose': ('pose_net.', ('pose_net.', )),
    'rectify': ('rectify_net.', ('rectify_net.', )),
}
# Pose / rotation decoders: conv_squeeze, convs_pose.{0,1,2} -> the
# FramePairResNet head's convolutions (ReLUs at the odd indices).
_HEAD_INDEX = {'conv_squeeze': 0, 'convs_pose.0': 2, 'convs_pose.1': 4,
               'convs_pose.2': 6}
_ENCODER = re.compile(r'(depth_net|pose_net|rectify_net)\.encoder\.encoder\.'
                      r'(.+)$')
_UPCONV = re.compile(r'depth_net\.decoder\.(upconvs[01])\.(\d+)\.conv\.conv\.'
                     r'(weight|bias)$')
_DISPCONV = re.compile(r'depth_net\.decoder\.dispconvs\.(\d+)\.conv\.'
                       r'(weight|bias)$')
_HEAD = re.compile(r'(pose_net|rectify_net)\.decoder\.(conv_squeeze|'
                   r'convs_pose\.[012])\.(weight|bias)$')


def _convert_key(key: str):
    """Our key for an SC-Depth key; ``None`` for an entry with no
    counterpart (the encoders' unused ImageNet classifier ``fc``, the
    depth decoder's coarser-scale disparity convolutions); raises
    ``KeyError`` for a key outside SC-Depth's layout."""
    match = _ENCODER.match(key)
    if match:
        net, rest = match.groups()
        if rest.startswith('fc.'):
            return None
        return ('backbone.' if net == 'depth_net' else f'{net}.encoder.') \
            + rest
    match = _UPCONV.match(key)
    if match:  # Monodepth2's ConvBlock(Conv3x3(pad, conv)) -> (pad, conv, ELU)
        return 'decoder.{}.{}.1.{}'.format(*match.groups())
    match = _DISPCONV.match(key)
    if match:  # scale 0 is the full-resolution output, the only one we keep
        scale, param = match.groups()
        return f'decoder.disp_conv.1.{param}' if scale == '0' else None
    match = _HEAD.match(key)
    if match:
        net, layer, param = match.groups()
        return f'{net}.head.{_HEAD_INDEX[layer]}.{param}'
    raise KeyError(key)


def scdepth_parts(checkpoint: dict) -> List[str]:
    """The parts of :data:`SCDEPTH_PARTS` an SC-Depth checkpoint holds."""
    state_dict = unwrap_state_dict(checkpoint, ('state_dict', ))
    return [part for part, (prefix, _) in SCDEPTH_PARTS.items()
            if any(k.startswith(prefix) for k in state_dict)]


def convert_scdepth(checkpoint: dict,
                    parts: Sequence[str] = tuple(SCDEPTH_PARTS)
                    ) -> Tuple[StateDict, List[str]]:
    """Convert the ``parts`` (of :data:`SCDEPTH_PARTS`) of an SC-Depth
    checkpoint (its Lightning ``state_dict``).

    Returns:
        tuple: The converted state dict and the SC-Depth keys dropped (the
        parts not asked for, and the entries without a counterpart:
        :func:`_convert_key`).

    Raises:
        KeyError: A part asked for is not in the checkpoint (V1 and V3 have
            no ``rectify_net``; names the part and its prefix), or an
            unknown part.
        UnknownKeysError: Keys outside SC-Depth's layout (listed).
    """
    unknown_parts = [p for p in parts if p not in SCDEPTH_PARTS]
    if unknown_parts:
        raise KeyError(f'unknown part(s) {unknown_parts} (SC-Depth parts: '
                       f'{", ".join(SCDEPTH_PARTS)})')
    state_dict = unwrap_state_dict(checkpoint, ('state_dict', ))
    prefixes = tuple(SCDEPTH_PARTS[p][0] for p in parts)
    for part, prefix in zip(parts, prefixes):
        if not any(k.startswith(prefix) for k in state_dict):
            raise KeyError(f'no {part} network ({prefix}* keys) in the '
                           'checkpoint (SC-DepthV1 and V3 have no '
                           'rectify_net)')
    converted, dropped, unknown = {}, [], []
    for key, value in state_dict.items():
        try:
            new = _convert_key(key)
        except KeyError:
            unknown.append(key)
            continue
        if new is None or not key.startswith(prefixes):
            dropped.append(key)
        else:
            converted[new] = value
    if unknown:
        raise UnknownKeysError(
            f'{len(unknown)} key(s) outside the SC-Depth layout '
            '(depth_net / pose_net / rectify_net encoders and decoders): '
            + ', '.join(unknown))
    return converted, dropped

"""Capture intermediate features of any mm* model by module name.

A model built from an mmpretrain, mmseg or mmdet config keeps its encoder at
``model.backbone``; :class:`FeatureCapture` registers forward hooks on named
modules (``backbone.layers.3``, ``backbone.stages.2.blocks.1``, ...) and
normalises each output to :class:`TokenFeatures`:

==========================  ===============================================
module output               tokens (B, N, C), hw, cls
==========================  ===============================================
(B, C, h, w) map            flattened row-major, hw = (h, w), no cls
(B, L, C) tokens            hw from the module's own ``(h, w)`` argument or
                            returned shape (Swin blocks, patch merging),
                            else inferred from L and the image size (below);
                            with one leading extra token (ViT's cls) when
                            L − 1 is the grid: cls = tokens[:, 0]
(tensor, (h, w)) tuple      that tensor on that grid (``PatchMerging``,
                            ``SwinBlockSequence``)
==========================  ===============================================

Grid inference: for the image (H, W) seen by ``model.backbone`` (recorded by
a pre-hook), a token sequence of L = h·w entries is on the grid
``(⌈H/s⌉, ⌈W/s⌉)`` (padding patch embeddings and merges) or
``(⌊H/s⌋, ⌊W/s⌋)`` (ViT) for some stride s. A sequence that is on no grid
(MAE's visible tokens) keeps ``hw=None``.

Default layers (:func:`default_layers`): every ViT block
(``backbone.layers.i``), every Swin/SwinV2 block
(``backbone.stages.i.blocks.j``), found by structure so that mmpretrain's,
mmseg's and mmdet's backbones all qualify; and ``preset='mesa'``, MeSa's CKA
layers of a SwinV2 (supplement Table 4). MeSa names them in the
SwinTransformer/MIM-Depth-Estimation code, whose ``BasicLayer`` i ends with
the patch merging towards stage i + 1 and whose ``norm3`` is the norm of the
last stage's output; mmpretrain's ``SwinTransformerV2`` puts that merging at
the *start* of stage i + 1 (``stages.{i+1}.downsample``), so:

==============================  =========================================
MeSa / MIM-Depth-Estimation     mmpretrain ``SwinTransformerV2``
==============================  =========================================
``layers.{i}.downsample.norm``  ``backbone.stages.{i+1}.downsample.norm``
``layers.2.blocks.{k}.norm1``   ``backbone.stages.2.blocks.{k}.norm1``
``norm3``                       ``backbone.norm3``
==============================  =========================================

Both SwinV2 merges are post-norm (linear reduction, then the norm) and both
blocks res-post-norm (``norm1`` normalises the attention branch before the
residual sum), so the mapped modules compute the same quantities.
"""
import difflib
import inspect
import math
from typing import (Dict, Iterable, Iterator, List, NamedTuple, Optional,
                    Sequence, Tuple)

import torch
import torch.nn as nn

PRESETS = ('blocks', 'mesa')
#: Suffix of a layer name that captures the module's input.
INPUT_SUFFIX = ':input'

#: MeSa's SwinV2 CKA layers in MIM-Depth-Estimation names, with their
#: mmpretrain names (see the module docstring).
MESA_LAYERS = (
    ('layers.0.downsample.norm', 'backbone.stages.1.downsample.norm'),
    ('layers.1.downsample.norm', 'backbone.stages.2.downsample.norm'),
    ('layers.2.blocks.3.norm1', 'backbone.stages.2.blocks.3.norm1'),
    ('layers.2.blocks.6.norm1', 'backbone.stages.2.blocks.6.norm1'),
    ('layers.2.blocks.9.norm1', 'backbone.stages.2.blocks.9.norm1'),
    ('layers.2.blocks.12.norm1', 'backbone.stages.2.blocks.12.norm1'),
    ('layers.2.blocks.15.norm1', 'backbone.stages.2.blocks.15.norm1'),
    ('layers.2.downsample.norm', 'backbone.stages.3.downsample.norm'),
    ('norm3', 'backbone.norm3'),
)


class TokenFeatures(NamedTuple):
    """One layer's output as tokens.

    Attributes:
        tokens (torch.Tensor): (B, N, C) spatial tokens, row-major over
            ``hw`` when it is known.
        hw (tuple[int, int] | None): The token grid (h, w), h·w = N; None
            when the tokens are not a full grid.
        cls (torch.Tensor | None): (B, C) the leading extra (class) token
            that was split off, else None.
    """
    tokens: torch.Tensor
    hw: Optional[Tuple[int, int]]
    cls: Optional[torch.Tensor]

    def as_map(self) -> torch.Tensor:
        """The tokens as a (B, C, h, w) map.

        Raises:
            ValueError: If the grid is unknown.
        """
        if self.hw is None:
            raise ValueError(
                f'these {self.tokens.shape[1]} tokens are not on a known '
                'grid, so they have no (B, C, h, w) map')
        batch, _, channels = self.tokens.shape
        return self.tokens.transpose(1, 2).reshape(batch, channels, *self.hw)


def _is_hw(value) -> bool:
    return (isinstance(value, (tuple, list, torch.Size)) and len(value) == 2
            and all(isinstance(v, int) for v in value))


def infer_grid(num_tokens: int,
               image_hw: Optional[Sequence[int]]) -> Optional[Tuple[int, int]]:
    """The grid (h, w) with h·w = ``num_tokens`` at some stride of the image.

    Tries, for s = 1, 2, ..., (⌈H/s⌉, ⌈W/s⌉) then (⌊H/s⌋, ⌊W/s⌋); without
    an image size, a square grid. None if no grid fits.

    Example:
        >>> infer_grid(36, (96, 96)), infer_grid(24, (96, 64))
        ((6, 6), (6, 4))
    """
    if image_hw is None:
        side = math.isqrt(num_tokens)
        return (side, side) if side * side == num_tokens else None
    height, width = image_hw
    for stride in range(1, max(height, width) + 1):
        for rounding in (math.ceil, math.floor):
            grid = (rounding(height / stride), rounding(width / stride))
            if grid[0] * grid[1] == num_tokens:
                return grid
    return None


def to_token_features(output, hw: Optional[Sequence[int]] = None,
                      image_hw: Optional[Sequence[int]] = None,
                      name: str = 'output',
                      detach: bool = True) -> TokenFeatures:
    """Normalise one module output to :class:`TokenFeatures`.

    Args:
        output: The module's output: a (B, C, h, w) map, (B, L, C) tokens, or
            a tuple whose first entry is one of them (a second entry that is
            an (h, w) pair is its grid).
        hw (Sequence[int], optional): The grid from the module's arguments.
        image_hw (Sequence[int], optional): (H, W) of the encoder's input,
            for grid inference.
        name (str): Module name, for error messages.
        detach (bool): Cut the tokens from the autograd graph. Defaults to
            True (analyses); False keeps it (losses on the features).

    Raises:
        ValueError: If the output is not one of the layouts above.
    """
    if isinstance(output, (tuple, list)):
        if (len(output) == 2 and isinstance(output[0], torch.Tensor)
                and _is_hw(output[1])):
            output, hw = output[0], tuple(output[1])
        else:
            tensors = [o for o in output if isinstance(o, torch.Tensor)]
            if len(tensors) != 1:
                raise ValueError(
                    f'{name}: output is a {type(output).__name__} of '
                    f'{len(tensors)} tensors; capture one of its sub-modules')
            output = tensors[0]
    if not isinstance(output, torch.Tensor):
        raise ValueError(f'{name}: output is a {type(output).__name__}, not '
                         'a tensor')
    if detach:
        output = output.detach()
    if output.dim() == 4:
        return TokenFeatures(output.flatten(2).transpose(1, 2),
                             tuple(output.shape[2:]), None)
    if output.dim() != 3:
        raise ValueError(f'{name}: expected a (B, C, h, w) map or (B, L, C) '
                         f'tokens, got shape {tuple(output.shape)}')
    length = output.shape[1]
    if hw is not None and hw[0] * hw[1] in (length, length - 1):
        grid = tuple(hw)
    else:
        grid = infer_grid(length, image_hw)
        if grid is None:
            grid = infer_grid(length - 1, image_hw)
    if grid is None:
        return TokenFeatures(output, None, None)
    if grid[0] * grid[1] == length:
        return TokenFeatures(output, grid, None)
    return TokenFeatures(output[:, 1:], grid, output[:, 0])


def _nearest_error(name: str, names: Sequence[str]) -> KeyError:
    near = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
    hint = ', '.join(near) if near else ', '.join(
        n for n in names if n.count('.') <= 1)[:400]
    return KeyError(f'the model has no module {name!r}; nearest names: '
                    f'{hint}')


def get_module(model: nn.Module, name: str) -> nn.Module:
    """``model``'s sub-module called ``name``.

    Raises:
        KeyError: If there is none; the message lists the nearest names
            (``difflib``).
    """
    modules = dict(model.named_modules())
    if name not in modules or name == '':
        raise _nearest_error(name, [n for n in modules if n])
    return modules[name]


class FeatureCapture:
    """Forward hooks on named modules, collecting :class:`TokenFeatures`.

    Use as a context manager (hooks are removed on exit)::

        with FeatureCapture(model, ['backbone.layers.0']) as capture:
            model.backbone(images)
            feats = capture.features['backbone.layers.0']
            capture.clear()

    Args:
        model (nn.Module): The model (with its encoder at ``model.backbone``
            for grid inference; any module otherwise).
        layer_names (Sequence[str]): Module names as in ``named_modules()``;
            ``NAME:input`` captures the first input of module ``NAME``
            instead of its output (e.g. ``neck.decoder_blocks.0:input``,
            MAE's decoder embedding with its mask tokens).
        detach (bool): Detach the captured tokens. Defaults to True; False
            keeps the autograd graph (MTO's losses).
        first_call (bool): Keep each layer's first output since the last
            :meth:`clear` instead of its last (a module that runs twice in
            one forward, e.g. SG-MIM's Siamese extractor reusing the
            encoder). Defaults to False.

    Raises:
        KeyError: If a name is not a module of ``model`` (nearest names
            listed).
        ValueError: If ``layer_names`` is empty or repeats a name.

    Attributes:
        features (dict[str, TokenFeatures]): The last output of each layer.
    """

    def __init__(self, model: nn.Module, layer_names: Sequence[str],
                 detach: bool = True, first_call: bool = False) -> None:
        layer_names = list(layer_names)
        if not layer_names:
            raise ValueError('layer_names is empty')
        repeated = sorted({n for n in layer_names if layer_names.count(n) > 1})
        if repeated:
            raise ValueError(f'layer_names repeats {repeated}')
        self.layer_names = layer_names
        self.modules = {
            name: get_module(model, name.removesuffix(INPUT_SUFFIX))
            for name in layer_names
        }
        self.model = model
        self.detach = detach
        self.first_call = first_call
        self.features: Dict[str, TokenFeatures] = {}
        self.image_hw: Optional[Tuple[int, int]] = None
        self._handles: List = []

    def __enter__(self) -> 'FeatureCapture':
        root = getattr(self.model, 'backbone', self.model)
        self._handles.append(root.register_forward_pre_hook(self._see_image))
        for name, module in self.modules.items():
            if name.endswith(INPUT_SUFFIX):
                handle = module.register_forward_pre_hook(
                    self._input_hook(name), with_kwargs=True)
            else:
                handle = module.register_forward_hook(self._hook(name),
                                                      with_kwargs=True)
            self._handles.append(handle)
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _see_image(self, module, args) -> None:
        if args and isinstance(args[0], torch.Tensor) and args[0].dim() == 4:
            self.image_hw = tuple(args[0].shape[2:])

    def _hook(self, name: str):

        def hook(module, args, kwargs, output):
            values = [*args[1:], *kwargs.values()]
            self._store(name, output, values)

        return hook

    def _input_hook(self, name: str):

        def hook(module, args, kwargs):
            inputs = [*args, *kwargs.values()]
            self._store(name, inputs[0], inputs[1:])

        return hook

    def _store(self, name: str, tensor, arguments) -> None:
        if self.first_call and name in self.features:
            return
        hw = next((tuple(v) for v in arguments if _is_hw(v)), None)
        self.features[name] = to_token_features(tensor, hw, self.image_hw,
                                                name, self.detach)

    def clear(self) -> None:
        """Forget the captured features (call between batches)."""
        self.features = {}

    def collect(self) -> List[TokenFeatures]:
        """The captured features in ``layer_names`` order.

        Raises:
            RuntimeError: If a layer did not run in the last forward.
        """
        missing = [n for n in self.layer_names if n not in self.features]
        if missing:
            raise RuntimeError(f'layers {missing} did not run in the forward '
                               'pass (not on the path of model.backbone?)')
        return [self.features[n] for n in self.layer_names]


def _backbone(model: nn.Module) -> nn.Module:
    backbone = getattr(model, 'backbone', None)
    if not isinstance(backbone, nn.Module):
        raise ValueError(f'{type(model).__name__} has no backbone module')
    return backbone


def default_layers(model: nn.Module, preset: str = 'blocks') -> List[str]:
    """Default layer names of the model's encoder.

    Args:
        model (nn.Module): A model with its encoder at ``model.backbone``.
        preset (str): 'blocks': every Swin/SwinV2 block
            (``backbone.stages.i.blocks.j``, a backbone with ``stages`` each
            holding ``blocks``) or every ViT block (``backbone.layers.i``, a
            backbone with a ``layers`` list); 'mesa': MeSa's SwinV2 CKA layers
            (:data:`MESA_LAYERS`).

    Raises:
        ValueError: If ``preset`` is unknown, or the backbone has neither
            layout, or lacks a MeSa layer (a SwinV2 with four stages, at
            least 16 blocks in stage 2 and ``out_indices`` holding 3).
    """
    if preset not in PRESETS:
        raise ValueError(f'preset must be one of {PRESETS}, got {preset!r}')
    backbone = _backbone(model)
    if preset == 'mesa':
        names = dict(model.named_modules())
        missing = [ours for _, ours in MESA_LAYERS if ours not in names]
        if missing:
            raise ValueError(
                f"preset 'mesa' needs a SwinV2 backbone with 4 stages, >= 16 "
                f'blocks in stage 2 and out_indices holding 3; '
                f'{type(backbone).__name__} lacks {missing}')
        return [ours for _, ours in MESA_LAYERS]
    stages = getattr(backbone, 'stages', None)
    if isinstance(stages, nn.ModuleList) and all(
            isinstance(getattr(s, 'blocks', None), nn.ModuleList)
            for s in stages):
        return [f'backbone.stages.{i}.blocks.{j}'
                for i, stage in enumerate(stages)
                for j in range(len(stage.blocks))]
    layers = getattr(backbone, 'layers', None)
    if isinstance(layers, nn.ModuleList):
        return [f'backbone.layers.{i}' for i in range(len(layers))]
    raise ValueError(
        f'no default layers for {type(backbone).__name__} (neither '
        'stages.i.blocks.j nor layers.i): name them with --layers')


def run_backbone(model: nn.Module, images: torch.Tensor,
                 mask: Optional[torch.Tensor] = None):
    """``model.backbone(images)`` without gradients; a backbone whose
    ``forward`` takes ``mask`` (SimMIM, MAE) gets ``mask`` (None: the plain
    unmasked forward)."""
    backbone = _backbone(model)
    with torch.no_grad():
        if 'mask' in inspect.signature(backbone.forward).parameters:
            return backbone(images, mask=mask)
        if mask is not None:
            raise ValueError(f'{type(backbone).__name__}.forward takes no '
                             'mask')
        return backbone(images)


def batch_features(model: nn.Module, layer_names: Sequence[str],
                   batches: Iterable[torch.Tensor]
                   ) -> Iterator[List[TokenFeatures]]:
    """For each image batch, the features of ``layer_names`` (in order)
    after :func:`run_backbone`; hooks are removed when the loop ends."""
    with FeatureCapture(model, layer_names) as capture:
        for images in batches:
            capture.clear()
            run_backbone(model, images)
            yield capture.collect()

"""Training cost of pre-training configs, measured side by side in one process.

The functions behind ``tools/analysis_tools/benchmark_pretrain.py``::

    model, cfg = build_model('configs/sgmim/....py')
    wrapper = build_optim_wrapper(model, cfg)
    batch = config_batch(cfg, 4)  # the batch this algorithm takes
    runs = {'SG-MIM': TrainingRun(model, wrapper, batch), ...}
    times = time_training_iterations(runs, iters=20, warmup=3)
    memory = peak_memory(model, wrapper, batch)
    components = profile_breakdown(model, wrapper, batch)

A training iteration is what the runner does after data loading and
pre-processing: the model called in ``mode='loss'`` (as mmengine's
``BaseModel._run_forward`` calls it, so a compiled forward runs) on a batch
of already normalised images, the sum of the loss dict (``parse_losses``),
backward, and the optimizer wrapper's step (the config's AdamW, parameter
groups and gradient clipping) and ``zero_grad``. The data pipeline is not
timed.

The synthetic batch follows the config's training pipeline
(:func:`batch_spec`, the one place that decides it): a multi-view pipeline
(``MultiView``, LUT) gives ``inputs`` as a list of views; a pipeline with a
mask generator (SimMIM, SG-MIM) one image batch with the generator's masks
and structure maps; any other (MAE, whose encoder draws its own masks) one
image batch.
"""
import copy
import logging
import math
import os
import platform
import re
import statistics
import time
from typing import (Any, Callable, Dict, List, Mapping, NamedTuple,
                    Optional, Tuple, Union)

import numpy as np
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper
from mmengine.optim import build_optim_wrapper as _build_optim_wrapper
from mmengine.registry import init_default_scope
from torch import nn
from torch.autograd import DeviceType

from sgmim.engine.runners.model_compile import compile_model, compile_options
from sgmim.utils.mask_generator_config import find_mask_generator

PHASES = ('forward', 'backward', 'step')
# inputs (one image batch, or a list of views) and the data samples
Batch = Tuple[Union[torch.Tensor, List[torch.Tensor]], list]

# (module name, label) of the components profiled by profile_breakdown;
# names absent from a model are skipped.
COMPONENTS = (
    ('backbone', 'encoder'),
    ('neck', 'image decoder'),
    ('head.loss_module', 'image loss'),
    ('guidance_neck.extractor', 'structure extractor'),
    ('guidance_neck', 'fusion (cross-attention + MLP)'),
    ('structure_neck', 'structure decoder'),
    ('structure_head.loss_module', 'structure loss'),
    ('projector', 'projector'),
    ('predictor', 'predictor'),
    ('context_loss', 'context loss'),
    # depth: the fine-tuning's head, MeSa's stages (depth_stages.py)
    ('decode_head', 'depth head'),
    ('decoder', 'depth decoder'),
    ('pose_net', 'pose net'),
    ('rectify_net', 'rectification net'),
    ('loss_module', 'photometric + geometry loss'),
    ('pseudo_loss', 'pseudo-depth losses'),
)
# (method of the model, label, the baseline's label it is compared with):
# work that a model runs in its own methods rather than in a component's
# ``forward``, profiled when the model has the method. LUT runs its
# student encoder through ``encode`` (both views, against MAE's encoder on
# one), updates its EMA teacher, and runs the teacher on the full views
# (the teacher's encoder pass inside ``teacher_targets`` counts there).
METHOD_COMPONENTS = (
    ('encode', 'encoder (student, both views)', 'encoder'),
    ('update_teacher', 'teacher EMA update', None),
    ('teacher_targets', 'teacher forward (full views, no grad)', None),
)
_METHOD_PREFIX = 'method:'

OTHER = 'other ops'
OPTIMIZER = 'optimizer step'
UNTRACED = 'untraced (Python, framework)'
_SCOPE = 'benchmark::'


class TrainingRun(NamedTuple):
    """A model, its optimizer wrapper and the batch it trains on."""
    model: nn.Module
    optim_wrapper: OptimWrapper
    batch: Batch


def load_config(config: Union[str, Config]) -> Config:
    """A config object from a path (``sgmim::`` paths included)."""
    import sgmim  # noqa: F401  registers components and sgmim::
    return config if isinstance(config, Config) else Config.fromfile(config)


def build_model(config: Union[str, Config],
                device: str = 'cpu') -> Tuple[nn.Module, Config]:
    """Build ``cfg.model`` from the mmpretrain registry, in train mode.

    Returns:
        tuple: (model on ``device``, the config).

    As mmengine's Runner in one process, SyncBN layers become BN
    (``revert_sync_batchnorm``), a ``FusedWindowAttentionHook`` in
    ``custom_hooks`` switches the window attention as it does before a run
    (:func:`uses_fused_window_attention`), ``compile`` compiles the forward
    as ``LRScalingRunner`` does before the first iteration
    (``sgmim.engine.runners.compile_model``), and MessageHub gets a
    ``max_iters`` if it has none (schedules that read it, such as LUT's
    teacher momentum; the value does not change the cost):
    ``train_cfg.max_iters``, else ``max_epochs`` x 1000.
    """
    cfg = load_config(config)
    init_default_scope('mmpretrain')
    from mmengine.logging import MessageHub
    from mmengine.model import revert_sync_batchnorm
    from mmpretrain.registry import MODELS
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    if uses_fused_window_attention(cfg):
        from sgmim.models.utils import fuse_window_attention
        fuse_window_attention(model)
    compile_model(model, cfg.get('compile'))
    hub = MessageHub.get_current_instance()
    if hub.get_info('max_iters') is None:
        train_cfg = cfg.get('train_cfg') or {}
        hub.update_info(
            'max_iters',
            train_cfg.get('max_iters') or
            1000 * train_cfg.get('max_epochs', 1))
    return model.to(device).train(), cfg


def uses_fused_window_attention(cfg: Config) -> bool:
    """Whether the config's ``custom_hooks`` hold a
    ``FusedWindowAttentionHook``."""
    return any(str(hook.get('type', '')).split('.')[-1] ==
               'FusedWindowAttentionHook'
               for hook in cfg.get('custom_hooks') or [])


def uses_compile(cfg: Config) -> bool:
    """Whether the config compiles the model's forward (``compile``)."""
    return compile_options(cfg.get('compile')) is not None


def autocast_dtype(cfg: Config) -> str:
    """The config's AMP autocast dtype (``optim_wrapper.dtype``, float16
    when unset), used when the benchmark runs with ``amp``."""
    return str(cfg.optim_wrapper.get('dtype') or 'float16')


def build_optim_wrapper(model: nn.Module, cfg: Config,
                        amp: bool = False) -> OptimWrapper:
    """The config's optimizer wrapper (optimizer, parameter groups, gradient
    clipping), as ``OptimWrapper`` (fp32) or ``AmpOptimWrapper`` (CUDA;
    the config's ``dtype`` and ``loss_scale``)."""
    wrapper_cfg = copy.deepcopy(cfg.optim_wrapper)
    if amp:
        wrapper_cfg['type'] = 'AmpOptimWrapper'
    else:
        wrapper_cfg['type'] = 'OptimWrapper'
        for key in ('loss_scale', 'dtype', 'use_fsdp'):
            wrapper_cfg.pop(key, None)
    init_default_scope('mmpretrain')
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # one line per parameter otherwise
    try:
        return _build_optim_wrapper(model, wrapper_cfg)
    finally:
        logger.setLevel(level)


def mask_settings(cfg: Config) -> dict:
    """Image and mask geometry of a config: ``img_size`` (the backbone's),
    ``mask_patch_size``, ``model_patch_size`` and ``mask_ratio`` (from the
    training pipeline's mask generator; 32, 4, 0.6 without one)."""
    generator = find_mask_generator(cfg.get('train_dataloader', {})) or {}
    img_size = cfg.model.get('backbone', {}).get(
        'img_size', generator.get('input_size', 192))
    if not isinstance(img_size, int):
        raise ValueError(f'square images only, got img_size={img_size!r}')
    return dict(
        img_size=img_size,
        mask_patch_size=generator.get('mask_patch_size', 32),
        model_patch_size=generator.get('model_patch_size', 4),
        mask_ratio=generator.get('mask_ratio', 0.6))


def synthetic_batch(batch_size: int,
                    img_size: int,
                    mask_patch_size: int = 32,
                    model_patch_size: int = 4,
                    mask_ratio: float = 0.6,
                    device: Union[str, torch.device] = 'cpu',
                    seed: int = 0) -> Batch:
    """A batch shaped like the SG-MIM pipeline's output after
    ``SelfSupDataPreprocessor``.

    Returns:
        tuple: ``inputs`` (B, 3, S, S) float32 (normalised images) and B
        ``DataSample`` with ``mask`` (S/p, S/p) int64 (``M_I``, drawn by a
        ``SelectiveGuidanceMaskGenerator``), ``structure_map`` (1, S, S)
        float32 and ``structure_mask`` = 1 - ``mask``. SimMIM reads only
        ``mask``, so one batch serves both models.
    """
    from mmpretrain.structures import DataSample

    from sgmim.datasets.transforms import SelectiveGuidanceMaskGenerator
    generator = SelectiveGuidanceMaskGenerator(
        input_size=img_size, mask_patch_size=mask_patch_size,
        model_patch_size=model_patch_size, mask_ratio=mask_ratio,
        mode='complementary')
    rng = torch.Generator().manual_seed(seed)
    np_state = np.random.get_state()
    np.random.seed(seed)
    try:
        draws = [
            generator.transform(
                dict(img=np.zeros((img_size, img_size, 3), np.uint8)))
            for _ in range(batch_size)
        ]
    finally:
        np.random.set_state(np_state)
    inputs = torch.randn(batch_size, 3, img_size, img_size, generator=rng)
    samples = []
    for draw in draws:
        sample = DataSample().set_mask(draw['mask'])
        sample.set_field(
            torch.randn(1, img_size, img_size, generator=rng),
            'structure_map')
        sample.set_field(draw['structure_mask'], 'structure_mask')
        samples.append(sample.to(device))
    return inputs.to(device), samples


_CROPS = (('RandomResizedCrop', 'scale'), ('PaddedRandomCrop', 'crop_size'),
          ('RandomCrop', 'crop_size'), ('CenterCrop', 'crop_size'))


def _find_transforms(node, kind: str) -> List[dict]:
    """Transform configs of type ``kind`` in a pipeline (nested lists and
    the ``transforms`` of wrappers included), depth-first."""
    found = []
    if isinstance(node, dict):
        if str(node.get('type', '')).split('.')[-1] == kind:
            found.append(node)
        node = list(node.values())
    if isinstance(node, (list, tuple)):
        for item in node:
            found += _find_transforms(item, kind)
    return found


def _crop_size(pipeline) -> Optional[int]:
    for kind, key in _CROPS:
        for transform in _find_transforms(pipeline, kind):
            size = transform.get(key)
            if isinstance(size, (list, tuple)) and len(set(size)) == 1:
                size = size[0]
            if isinstance(size, int):
                return size
    return None


def batch_spec(cfg: Config) -> dict:
    """What a training batch of this config looks like: the one place that
    decides the synthetic batch of an algorithm (:func:`config_batch`).

    ``kind``:

    - ``'views'``: the pipeline has ``MultiView`` (LUT): ``inputs`` is a
      list of ``num_views`` (B, 3, S, S) batches, as ``PackInputs`` packs
      the views; the model draws its masks (``mask_ratio``: the
      backbone's).
    - ``'masked'``: the pipeline has a mask generator (SimMIM, SG-MIM):
      :func:`synthetic_batch` with :func:`mask_settings`.
    - ``'image'``: neither (MAE, whose encoder draws its masks): one image
      batch, data samples without fields.

    ``img_size``: the backbone's ``img_size``, else the mask generator's
    ``input_size``, else the pipeline's crop size.
    """
    pipeline = cfg.get('train_dataloader', {}).get('dataset', {}).get(
        'pipeline', cfg.get('train_pipeline', []))
    views = _find_transforms(pipeline, 'MultiView')
    generator = find_mask_generator(cfg.get('train_dataloader', {}))
    if generator is not None and not views:
        return dict(kind='masked', **mask_settings(cfg))
    backbone = cfg.model.get('backbone', {})
    img_size = backbone.get('img_size') or _crop_size(pipeline)
    if not isinstance(img_size, int):
        raise ValueError(f'square images only, got img_size={img_size!r}')
    spec = dict(kind='image', img_size=img_size, num_views=1,
                mask_ratio=backbone.get('mask_ratio'))
    if views:
        num_views = views[0].get('num_views', 1)
        spec.update(kind='views', num_views=int(
            sum(num_views) if isinstance(num_views, (list, tuple))
            else num_views))
    return spec


def config_batch(cfg: Config, batch_size: int,
                 device: Union[str, torch.device] = 'cpu',
                 seed: int = 0, img_size: Optional[int] = None) -> Batch:
    """A synthetic batch of the structure this config's model trains on
    (:func:`batch_spec`); ``img_size`` overrides the config's.

    The first (or only) image batch is the same tensor for every kind at
    one seed and size, so a MAE baseline's images are LUT's view 1.
    """
    spec = batch_spec(cfg)
    size = img_size or spec['img_size']
    if spec['kind'] == 'masked':
        settings = dict(mask_settings(cfg), img_size=size)
        return synthetic_batch(batch_size, device=device, seed=seed,
                               **settings)
    from mmpretrain.structures import DataSample
    rng = torch.Generator().manual_seed(seed)
    views = [
        torch.randn(batch_size, 3, size, size, generator=rng).to(device)
        for _ in range(spec['num_views'])
    ]
    samples = [DataSample().to(device) for _ in range(batch_size)]
    return (views if spec['kind'] == 'views' else views[0]), samples


def describe_batch(spec: dict) -> str:
    """One phrase for the report: what the model receives."""
    size = spec['img_size']
    if spec['kind'] == 'masked':
        return (f'one {size} px image batch, mask ratio '
                f'{spec["mask_ratio"]} ({spec["mask_patch_size"]} px mask '
                'patches, drawn by the pipeline)')
    masks = (f', masks drawn by the model (ratio {spec["mask_ratio"]})'
             if spec.get('mask_ratio') is not None else '')
    if spec['kind'] == 'views':
        return f'{spec["num_views"]} views of {size} px (`MultiView`){masks}'
    return f'one {size} px image batch{masks}'


def batch_device(batch: Batch) -> torch.device:
    """The device of a batch's (first) image tensor."""
    inputs = batch[0]
    return (inputs if isinstance(inputs, torch.Tensor) else inputs[0]).device


def _clock(device) -> float:
    if torch.device(device).type == 'cuda':
        torch.cuda.synchronize(device)
    return time.perf_counter()


def train_iteration(model: nn.Module, optim_wrapper: OptimWrapper,
                    batch: Batch) -> Dict[str, float]:
    """One training iteration; returns the seconds spent in each phase
    (``forward``: the model in ``mode='loss'`` and the loss sum;
    ``backward``; ``step``: optimizer step with clipping, and
    ``zero_grad``)."""
    inputs, samples = batch
    device = batch_device(batch)
    t0 = _clock(device)
    with torch.autograd.profiler.record_function(_SCOPE + 'forward'):
        with optim_wrapper.optim_context(model):
            losses = model(inputs, samples, mode='loss')
        loss, _ = model.parse_losses(losses)
    t1 = _clock(device)
    with torch.autograd.profiler.record_function(_SCOPE + 'backward'):
        optim_wrapper.backward(loss)
    t2 = _clock(device)
    with torch.autograd.profiler.record_function(_SCOPE + 'step'):
        optim_wrapper.step()
        optim_wrapper.zero_grad()
    t3 = _clock(device)
    return dict(forward=t1 - t0, backward=t2 - t1, step=t3 - t2)


def time_training_iterations(runs: Mapping[str, TrainingRun],
                             iters: int,
                             warmup: int = 2,
                             progress: bool = True
                             ) -> Dict[str, Dict[str, List[float]]]:
    """Time training iterations of several models, interleaved.

    After ``warmup`` untimed iterations per model, ``iters`` rounds run one
    iteration of each model, in the given order on even rounds and reversed
    on odd rounds (A B, B A, ...), so that a drift of the machine's speed
    hits all models alike.

    Returns:
        dict: ``{name: {'forward'|'backward'|'step'|'total'|'cpu': [ms] *
        iters}}``, index ``i`` of every list belonging to round ``i``; the
        phases and ``total`` are wall-clock times, ``cpu`` the process CPU
        time of the iteration (all threads; on a shared machine it is less
        sensitive than wall time to being descheduled).
    """
    if iters < 1 or warmup < 0:
        raise ValueError(f'iters must be >= 1 and warmup >= 0, got {iters} '
                         f'and {warmup}')
    names = list(runs)
    for name in names:
        for _ in range(warmup):
            train_iteration(*runs[name])
    times = {
        name: {key: [] for key in (*PHASES, 'total', 'cpu')}
        for name in names
    }
    bar = None
    if progress:
        from mmengine.utils import ProgressBar
        bar = ProgressBar(iters * len(names))
    for i in range(iters):
        for name in (names if i % 2 == 0 else names[::-1]):
            cpu = time.process_time()
            phases = train_iteration(*runs[name])
            times[name]['cpu'].append(1e3 * (time.process_time() - cpu))
            for key, seconds in phases.items():
                times[name][key].append(1e3 * seconds)
            times[name]['total'].append(1e3 * sum(phases.values()))
            if bar is not None:
                bar.update()
    if bar is not None:
        print()
    return times


def summarize(values: List[float]) -> Dict[str, float]:
    """Median and interquartile range (q75 - q25) of a sample."""
    if len(values) == 1:
        return dict(median=values[0], iqr=0.)
    q25, q50, q75 = statistics.quantiles(values, n=4, method='inclusive')
    return dict(median=statistics.median(values), iqr=q75 - q25)


def state_bytes(model: nn.Module, optimizer: torch.optim.Optimizer) -> int:
    """Bytes of the persistent training state: parameters, buffers, existing
    gradients and optimizer state (each storage counted once)."""
    tensors = [*model.parameters(), *model.buffers()]
    tensors += [p.grad for p in model.parameters() if p.grad is not None]
    for state in optimizer.state.values():
        tensors += [v for v in state.values() if isinstance(v, torch.Tensor)]
    storages = {}
    for tensor in tensors:
        storage = tensor.untyped_storage()
        storages[(tensor.device, storage.data_ptr())] = storage.nbytes()
    return sum(storages.values())


def _cpu_peak_allocation(prof) -> int:
    """Peak of the running sum of CPU allocations (+) and frees (-) recorded
    by a ``profile_memory=True`` profiler, relative to its start."""
    events = [
        e for e in prof.profiler.kineto_results.events()
        if e.name() == '[memory]'
        and e.device_type() == torch.autograd.DeviceType.CPU
    ]
    events.sort(key=lambda e: e.start_ns())
    running, peak = 0, 0
    for event in events:
        running += event.nbytes()
        peak = max(peak, running)
    return peak


def allocation_peak(fn: Callable[[], Any], device) -> Tuple[Any, int]:
    """Run ``fn()``; return its result and the highest number of bytes
    allocated above the start while it ran.

    CUDA: ``torch.cuda.max_memory_allocated`` minus the memory allocated
    before (other tensors alive in the process do not count). CPU: the
    running sum of torch's CPU allocations and frees recorded by
    ``torch.profiler`` with ``profile_memory=True``
    (:func:`_cpu_peak_allocation`); oneDNN scratch memory and Python objects
    are not seen, and the profiler slows ``fn`` down (time it separately).
    """
    device = torch.device(device)
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
        base = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        result = fn()
        torch.cuda.synchronize(device)
        return result, torch.cuda.max_memory_allocated(device) - base
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU],
                 profile_memory=True) as prof:
        result = fn()
    return result, _cpu_peak_allocation(prof)


def peak_memory(model: nn.Module, optim_wrapper: OptimWrapper,
                batch: Batch) -> Dict[str, Union[int, str]]:
    """Peak memory of one training iteration of this model alone.

    ``peak = persistent + transient``: ``persistent`` is
    :func:`state_bytes` (parameters, buffers, optimizer state) before the
    iteration; ``transient`` the highest amount of memory allocated above
    that during the iteration (activations, gradients, temporaries), from
    ``torch.cuda.max_memory_allocated`` on CUDA, or on CPU from the
    allocation events of ``torch.profiler`` with ``profile_memory=True``.
    Other models alive in the process do not count. The batch is not
    counted. Runs one untimed iteration first if the optimizer state is
    still empty.
    """
    if not optim_wrapper.optimizer.state:
        train_iteration(model, optim_wrapper, batch)
    device = batch_device(batch)
    persistent = state_bytes(model, optim_wrapper.optimizer)
    _, transient = allocation_peak(
        lambda: train_iteration(model, optim_wrapper, batch), device)
    if device.type == 'cuda':
        method = ('parameters, buffers and optimizer state + peak of '
                  '`torch.cuda.max_memory_allocated` above the memory '
                  'allocated before the iteration')
    else:
        method = ('parameters, buffers and optimizer state + peak of the '
                  'running sum of CPU allocations and frees that '
                  '`torch.profiler` (`profile_memory=True`) records during '
                  'one training iteration (allocations of torch\'s CPU '
                  'allocator; oneDNN scratch memory and Python objects not '
                  'included)')
    return dict(
        peak=persistent + transient,
        persistent=persistent,
        transient=transient,
        method=method)


# methods that run a component outside its ``forward`` (the sparse path of
# SG-MIM's structure branch; an mmseg decode head's ``loss``, which calls
# ``self.forward`` directly)
_SCOPED_METHODS = ('forward_tokens', 'tokens_at', 'loss')


class _MethodScope:
    """Runs an instance's method inside a profiler scope until removed."""

    def __init__(self, module: nn.Module, method: str, scope: str) -> None:
        self.module, self.method = module, method
        bound = getattr(module, method)

        def scoped(*args, **kwargs):
            with torch.autograd.profiler.record_function(scope):
                return bound(*args, **kwargs)

        setattr(module, method, scoped)

    def remove(self) -> None:
        delattr(self.module, self.method)


def _component_hooks(model: nn.Module) -> Tuple[list, Dict[str, str]]:
    """Forward hooks (and method wrappers for :data:`_SCOPED_METHODS`) that
    open a profiler scope per component."""
    handles, labels = [], {}
    modules = dict(model.named_modules())
    for name, label in COMPONENTS:
        module = modules.get(name)
        if module is None:
            continue
        labels[name] = label
        stack = []

        def enter(mod, args, _stack=stack, _name=name):
            scope = torch.autograd.profiler.record_function(_SCOPE + _name)
            scope.__enter__()
            _stack.append(scope)

        def leave(mod, args, output, _stack=stack):
            _stack.pop().__exit__(None, None, None)

        handles.append(module.register_forward_pre_hook(enter))
        handles.append(module.register_forward_hook(leave))
        handles.extend(
            _MethodScope(module, method, _SCOPE + name)
            for method in _SCOPED_METHODS if hasattr(module, method))
    for method, label, _ in _model_methods(model):
        labels[_METHOD_PREFIX + method] = label
        handles.append(
            _MethodScope(model, method, _SCOPE + _METHOD_PREFIX + method))
    return handles, labels


def _model_methods(model: nn.Module) -> list:
    """The entries of :data:`METHOD_COMPONENTS` this model has."""
    return [entry for entry in METHOD_COMPONENTS
            if callable(getattr(model, entry[0], None))]


def _scope_of(event, labels: Mapping[str, str]) -> Optional[str]:
    """The component of a forward event: the outermost component scope
    around it, refined by nested scopes of its own submodules (the
    extractor inside the guidance neck; not a shared encoder called by a
    component)."""
    path = []
    while event is not None:
        name = event.name
        if name.startswith(_SCOPE) and name[len(_SCOPE):] in labels:
            path.append(name[len(_SCOPE):])
        event = event.cpu_parent
    scope = None
    for name in reversed(path):
        if scope is None or name.startswith(scope + '.'):
            scope = name
    return scope


def _attribute(prof, labels: Mapping[str, str],
               device_time: bool) -> Dict[Tuple[str, str], float]:
    """Sum the self time (ms) of every profiled op per (component, phase).

    Only host-side ops are read: on CUDA each op's self device time is the
    time of the kernels it launched, and the kernel events that the
    profiler also lists on their own would count them a second time.
    """
    events = [e for e in prof.events() if e.device_type == DeviceType.CPU]
    attr = 'self_device_time_total' if device_time else 'self_cpu_time_total'
    forward_scope = {}
    for event in sorted(events, key=lambda e: e.time_range.start):
        if event.sequence_nr >= 0 and not _in_backward(event):
            forward_scope[event.sequence_nr] = _scope_of(event, labels)
    totals = {}
    for event in events:
        node = _in_backward(event)
        if node is not None:
            scope = forward_scope.get(node.sequence_nr) \
                if node.sequence_nr >= 0 else None
            key = (scope or OTHER, 'backward')
        elif _has_ancestor(event, _SCOPE + 'step'):
            key = (OPTIMIZER, 'step')
        elif _has_ancestor(event, _SCOPE + 'backward'):
            key = (OTHER, 'backward')
        else:
            key = (_scope_of(event, labels) or OTHER, 'forward')
        totals[key] = totals.get(key, 0.) + getattr(event, attr) / 1e3
    return totals


def _in_backward(event):
    while event is not None:
        if event.name.startswith('autograd::engine::evaluate_function'):
            return event
        event = event.cpu_parent
    return None


def _has_ancestor(event, name: str) -> bool:
    while event is not None:
        if event.name == name:
            return True
        event = event.cpu_parent
    return False


def profile_breakdown(model: nn.Module,
                      optim_wrapper: OptimWrapper,
                      batch: Batch,
                      iters: int = 3) -> Dict[str, Dict[str, float]]:
    """Time of each model component in a training iteration (profiled).

    Every op recorded by ``torch.profiler`` is attributed to a component of
    :data:`COMPONENTS` (by its forward module scope; backward ops through
    the autograd node's sequence number), to the optimizer step, or to
    ``other ops`` (batch stacking, loss sum, gradient accumulation, the
    autograd engine). Times are self times: CPU time on CPU (a profiler
    scope's self time is the Python time spent in it between ops, so a
    component's Python overhead counts with it), device time on CUDA. On
    CPU, ``untraced`` is the wall time of each phase outside all recorded
    events. Values are medians over ``iters`` profiled iterations, in ms,
    and include the profiler's own overhead.

    Returns:
        dict: ``{label: {'forward': ms, 'backward': ms, 'step': ms}}``.
    """
    run = TrainingRun(model, optim_wrapper, batch)
    return median_breakdown(
        [profile_iteration(run) for _ in range(iters)], model,
        batch_device(batch))


def profile_iteration(run: TrainingRun) -> Dict[Tuple[str, str], float]:
    """One profiled training iteration: ms per (module name or row, phase)
    (see :func:`profile_breakdown`)."""
    from torch.profiler import ProfilerActivity, profile
    model, optim_wrapper, batch = run
    cuda = batch_device(batch).type == 'cuda'
    activities = [ProfilerActivity.CPU]
    if cuda:
        activities.append(ProfilerActivity.CUDA)
    handles, labels = _component_hooks(model)
    try:
        with profile(activities=activities) as prof:
            walls = train_iteration(model, optim_wrapper, batch)
    finally:
        for handle in handles:
            handle.remove()
    totals = _attribute(prof, labels, device_time=cuda)
    if not cuda:
        for phase in PHASES:
            traced = sum(v for (_, p), v in totals.items() if p == phase)
            totals[(UNTRACED, phase)] = max(0., 1e3 * walls[phase] - traced)
    return totals


def median_breakdown(samples: List[Dict[Tuple[str, str], float]],
                     model: nn.Module,
                     device) -> Dict[str, Dict[str, float]]:
    """Median over :func:`profile_iteration` samples, keyed by label.

    A component whose scope never opened (a module the model has but runs
    through a method of :data:`METHOD_COMPONENTS` instead, as LUT's
    ``backbone``) is left out."""
    modules = dict(model.named_modules())
    methods = _model_methods(model)
    scopes = []
    for name, label in COMPONENTS:  # a method next to its counterpart
        scopes += [name] if name in modules else []
        scopes += [_METHOD_PREFIX + m for m, _, other in methods
                   if other == label]
    scopes += [_METHOD_PREFIX + m for m, _, other in methods
               if _METHOD_PREFIX + m not in scopes]
    scopes = [
        scope for scope in scopes
        if any(key[0] == scope for sample in samples for key in sample)
    ]
    scopes += [OPTIMIZER, OTHER]
    if torch.device(device).type != 'cuda':
        scopes.append(UNTRACED)
    labels = dict(COMPONENTS)
    labels.update((_METHOD_PREFIX + m, label)
                  for m, label, _ in METHOD_COMPONENTS)
    return {
        labels.get(scope, scope): {
            phase: statistics.median(
                sample.get((scope, phase), 0.) for sample in samples)
            for phase in PHASES
        }
        for scope in scopes
    }


def count_parameters(model: nn.Module, trainable: bool = False) -> int:
    """Parameters of the model (an EMA teacher's included), or only those
    that require a gradient."""
    return sum(p.numel() for p in model.parameters()
               if p.requires_grad or not trainable)


def count_flops(model: nn.Module, batch: Batch) -> int:
    """Floating-point operations of one forward + backward pass.

    Counted by torch's ``FlopCounterMode``: matrix products, convolutions
    and attention (2 per multiply-add); element-wise ops, normalisation and
    the optimizer are not counted. The gradients are cleared afterwards.
    """
    from torch.utils.flop_counter import FlopCounterMode
    inputs, samples = batch
    counter = FlopCounterMode(display=False)
    with counter:
        loss, _ = model.parse_losses(model.loss(inputs, samples))
        loss.backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops()


def machine_info(device: str, threads: int, amp: bool = False) -> dict:
    """CPU model (/proc/cpuinfo), GPU name, torch and Python versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            match = re.search(r'^model name\s*:\s*(.+)$', f.read(), re.M)
        if match:
            cpu = match.group(1).strip()
    except OSError:
        pass
    info = dict(
        cpu=cpu,
        cpu_count=os.cpu_count(),
        threads=threads,
        device=device,
        torch=torch.__version__,
        python=platform.python_version(),
        precision=('AMP (fp16 autocast; bf16 where a model is named so)'
                   if amp else 'fp32'))
    if torch.device(device).type == 'cuda':
        info['gpu'] = torch.cuda.get_device_name(device)
    return info


# display names of the algorithms (``cfg.model.type``)
DISPLAY_NAMES = {'SimMIM': 'SimMIM', 'SGMIM': 'SG-MIM', 'MAE': 'MAE',
                 'LUT': 'LUT', 'LUTSimMIM': 'LUT-SimMIM',
                 'MTOSimMIM': 'SimMIM', 'MTOMAE': 'MAE'}


def model_names(baseline: Config, candidate: Config) -> Tuple[str, str]:
    """(baseline, candidate) display names from their model types
    (:data:`DISPLAY_NAMES`, ' + MTO' where ``model.mto`` is set, then
    'fused attention' with a ``FusedWindowAttentionHook``, 'compiled' with
    ``compile`` and 'bf16' with a bfloat16 ``optim_wrapper.dtype``, in
    brackets); 'baseline' / 'candidate' when they coincide."""
    def name(cfg):
        kind = str(cfg.model.type).split('.')[-1]
        paths = [label for label, on in (
            ('fused attention', uses_fused_window_attention(cfg)),
            ('compiled', uses_compile(cfg)),
            ('bf16', autocast_dtype(cfg) == 'bfloat16')) if on]
        return (DISPLAY_NAMES.get(kind, kind) +
                (' + MTO' if cfg.model.get('mto') is not None else '') +
                (f' ({", ".join(paths)})' if paths else ''))

    names = (name(baseline), name(candidate))
    return names if names[0] != names[1] else ('baseline', 'candidate')


def pair_batches(cfgs: List[Config], batch_size: int,
                 device: str = 'cpu') -> Tuple[List[Batch], List[dict]]:
    """One synthetic batch per config, of the structure its algorithm takes
    (:func:`batch_spec`), at the baseline's image size; configs with a
    mask generator both use the baseline's mask geometry (one batch serves
    SimMIM and SG-MIM). Returns the batches and the specs."""
    specs = [batch_spec(cfg) for cfg in cfgs]
    base = specs[0]
    for spec, cfg in zip(specs[1:], cfgs[1:]):
        if spec['img_size'] != base['img_size']:
            raise ValueError(f'{cfg.filename}: image size '
                             f'{spec["img_size"]} differs from the '
                             f'baseline\'s {base["img_size"]}')
    batches = []
    for i, (spec, cfg) in enumerate(zip(specs, cfgs)):
        if spec['kind'] == 'masked' and base['kind'] == 'masked':
            specs[i] = base
            settings = {k: v for k, v in base.items() if k != 'kind'}
            batches.append(synthetic_batch(batch_size, device=device,
                                           **settings))
        else:
            batches.append(config_batch(cfg, batch_size, device,
                                        img_size=base['img_size']))
    return batches, specs


def interleaved_profiles(runs: Mapping[str, TrainingRun], iters: int
                         ) -> Dict[str, list]:
    """``iters`` :func:`profile_iteration` samples per model, interleaved
    as :func:`time_training_iterations` times them."""
    names = list(runs)
    profiles = {name: [] for name in names}
    for i in range(iters):
        for name in (names if i % 2 == 0 else names[::-1]):
            profiles[name].append(profile_iteration(runs[name]))
    return profiles


def time_ratios(base: dict, cand: dict) -> Dict[str, Dict]:
    """``wall`` and ``cpu`` time ratios of two measured models (entries
    with ``times`` and ``summary``): ``medians``, the ratio of the medians,
    and ``paired``, median and IQR of the per-round ratios."""
    ratios = {}
    for key, series in (('wall', 'total'), ('cpu', 'cpu')):
        ratios[key] = dict(
            medians=cand['summary'][series]['median'] /
            base['summary'][series]['median'],
            paired=summarize([c / b for b, c in zip(base['times'][series],
                                                    cand['times'][series])]))
    return ratios


def benchmark_pair(baseline: Union[str, Config],
                   candidate: Union[str, Config],
                   batch_size: int,
                   iters: int,
                   warmup: int = 2,
                   device: str = 'cpu',
                   amp: bool = False,
                   breakdown_iters: int = 3,
                   progress: bool = True,
                   names: Optional[Tuple[str, str]] = None,
                   timer: str = 'wall') -> dict:
    """Measure a baseline and a candidate config on the same batch.

    Each model gets the batch structure its algorithm takes
    (:func:`pair_batches`: MAE one image batch, LUT two views whose first
    is MAE's images) at the baseline's image size, SimMIM and SG-MIM the
    same masked batch. ``names`` defaults to :func:`model_names`. Returns
    a dict
    with per-model ``params``, ``times`` (ms lists per phase), ``summary``
    (median / IQR per phase), ``first_iteration`` (ms of the model's first
    iteration, run before the warm-up: a compiled model compiles in it),
    ``compiled``, ``memory`` (:func:`peak_memory`) and ``breakdown``
    (:func:`profile_breakdown`, omitted when ``breakdown_iters`` is 0 and
    for a compiled model, whose kernels carry no module scopes), plus
    ``ratio`` (candidate / baseline):
    ``wall`` and ``cpu``, each with ``medians`` (ratio of the medians) and
    ``paired`` (median and IQR of the per-round ratios), ``memory`` and
    ``params``; ``timer`` ('wall' or 'cpu') names the time the target is
    judged on.
    """
    if timer not in ('wall', 'cpu'):
        raise ValueError(f"timer must be 'wall' or 'cpu', got {timer!r}")
    if amp and torch.device(device).type != 'cuda':
        raise ValueError('--amp needs --device cuda')
    configs = [load_config(c) for c in (baseline, candidate)]
    for cfg in configs:
        if not amp and autocast_dtype(cfg) == 'bfloat16':
            raise ValueError(f'{cfg.filename}: optim_wrapper.dtype='
                             "'bfloat16' is measured with amp (--amp) only")
    names = tuple(names or model_names(*configs))
    batches, specs = pair_batches(configs, batch_size, device)
    runs, cfgs = {}, {}
    for name, config, cfg, batch in zip(names, (baseline, candidate),
                                        configs, batches):
        model, cfg = build_model(cfg, device)
        runs[name] = TrainingRun(model, build_optim_wrapper(model, cfg, amp),
                                 batch)
        cfgs[name] = config if isinstance(config, str) else cfg.filename
    # the first iteration alone: a compiled model traces and compiles in it
    first = {name: 1e3 * sum(train_iteration(*run).values())
             for name, run in runs.items()}
    times = time_training_iterations(runs, iters, warmup, progress)
    # the profiler's module scopes do not reach into compiled graphs
    profiled = {name: run for name, run in runs.items()
                if not uses_compile(configs[names.index(name)])}
    profiles = interleaved_profiles(profiled, breakdown_iters)
    result = dict(
        batch_size=batch_size, iters=iters, warmup=warmup, device=device,
        amp=amp, geometry=specs[0], batches=dict(zip(names, specs)),
        models={})
    for name, run in runs.items():
        entry = dict(
            config=cfgs[name],
            params=count_parameters(run.model),
            trainable=count_parameters(run.model, trainable=True),
            flops=count_flops(run.model, run.batch),
            times=times[name],
            first_iteration=first[name],
            compiled=uses_compile(configs[names.index(name)]),
            summary={k: summarize(v)
                     for k, v in times[name].items()},
            memory=peak_memory(*run))
        if breakdown_iters and name in profiled:
            entry['breakdown'] = median_breakdown(profiles[name], run.model,
                                                  device)
        result['models'][name] = entry
    base, cand = (result['models'][n] for n in names)
    result['ratio'] = dict(
        flops=cand['flops'] / base['flops'],
        memory=cand['memory']['peak'] / base['memory']['peak'],
        params=cand['params'] / base['params'])
    result['ratio'].update(time_ratios(base, cand))
    result['timer'] = timer
    result['names'] = names
    return result


# --------------------------------------------------------------- markdown --

def _ms(value: float) -> str:
    return f'{value:,.0f}' if value >= 100 else f'{value:.1f}' \
        if value >= 1 else f'{value:.2f}'


def _mib(nbytes: float) -> str:
    return f'{nbytes / 2**20:,.0f} MiB' if nbytes >= 2**24 \
        else f'{nbytes / 2**20:.1f} MiB'


def _params(n: int) -> str:
    return f'{n / 1e6:.2f} M'


def throughput(entry: dict, batch_size: int,
               peak_tflops: Optional[float] = None) -> Dict[str, float]:
    """Images per second, achieved TFLOP/s and model-FLOP utilisation of
    one model of :func:`benchmark_pair`'s result, from its median
    wall-clock iteration ``t`` (s) and its arithmetic per iteration ``F``
    (``FlopCounterMode``, forward + backward)::

        images/s = B / t        TFLOP/s = F / t / 1e12
        MFU = (F / t) / peak    (``peak_tflops`` given, else omitted)
    """
    seconds = entry['summary']['total']['median'] / 1e3
    rates = dict(images_per_s=batch_size / seconds,
                 tflops=entry['flops'] / seconds / 1e12)
    if peak_tflops:
        rates['mfu'] = rates['tflops'] / peak_tflops
    return rates


def format_markdown(result: dict, title: str, machine: dict,
                    command: str, target: float = 1.10,
                    peak_tflops: Optional[float] = None) -> str:
    """A markdown report of :func:`benchmark_pair`'s result; with
    ``peak_tflops`` (the device's dense peak for the run's precision) it
    also gives the model-FLOP utilisation (:func:`throughput`)."""
    base_name, cand_name = result['names']
    base, cand = (result['models'][n] for n in result['names'])
    ratio = result['ratio']
    timer = result.get('timer', 'wall')
    judged = ratio[timer]['paired']
    geometry = result['geometry']
    batches = result.get('batches') or {}
    if all(spec.get('kind', 'masked') == 'masked'
           for spec in batches.values()):
        batch_text = (
            f'Batch {result["batch_size"]}, {geometry["img_size"]} px '
            f'images, mask ratio {geometry["mask_ratio"]} '
            f'({geometry["mask_patch_size"]} px mask patches)')
    else:
        batch_text = f'Batch {result["batch_size"]}: ' + '; '.join(
            f'{name} {describe_batch(batches[name])}'
            for name in result['names'])
    gpu = f", GPU {machine['gpu']}" if 'gpu' in machine else ''
    met = judged['median'] <= target
    lines = [
        f'### {title}', '',
        f'`{base["config"]}` vs `{cand["config"]}`', '',
        f'Machine: {machine["cpu"]} ({machine["cpu_count"]} cores){gpu}; '
        f'device `{machine["device"]}`, {machine["threads"]} torch '
        f'thread{"s" if machine["threads"] != 1 else ""}, '
        f'torch {machine["torch"]}, Python {machine["python"]}, '
        f'{machine["precision"]}.  ',
        f'{batch_text}; {result["iters"]} timed iterations per model after '
        f'{result["warmup"]} warm-up iterations, interleaved '
        '(A B, B A, ...).', '',
        '| model | params | wall ms/iter (median) | IQR | CPU ms/iter '
        '(median) | IQR | forward | backward | optimizer step | '
        'peak memory |',
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ]
    for name, entry in ((base_name, base), (cand_name, cand)):
        s = entry['summary']
        params = _params(entry['params'])
        if entry.get('trainable', entry['params']) != entry['params']:
            params += f' ({_params(entry["trainable"])} trained)'
        lines.append(
            f'| {name} | {params} | '
            f'{_ms(s["total"]["median"])} | {_ms(s["total"]["iqr"])} | '
            f'{_ms(s["cpu"]["median"])} | {_ms(s["cpu"]["iqr"])} | '
            f'{_ms(s["forward"]["median"])} | '
            f'{_ms(s["backward"]["median"])} | '
            f'{_ms(s["step"]["median"])} | '
            f'{_mib(entry["memory"]["peak"])} |')
    phase_ratio = {
        k: cand['summary'][k]['median'] / base['summary'][k]['median']
        for k in PHASES
    }
    metric = dict(
        wall='wall-clock time',
        cpu='process CPU time (with one torch thread: the compute time of '
        'the iteration, without the time spent waiting for a core on a '
        'shared machine)')[timer]
    lines += [
        f'| **{cand_name} / {base_name}** | {ratio["params"]:.2f}× | '
        f'{ratio["wall"]["medians"]:.3f}× | | '
        f'{ratio["cpu"]["medians"]:.3f}× | | '
        f'{phase_ratio["forward"]:.2f}× | {phase_ratio["backward"]:.2f}× | '
        f'{phase_ratio["step"]:.2f}× | {ratio["memory"]:.2f}× |', '',
        'Forward, backward and optimizer step (with gradient clipping and '
        '`zero_grad`) are wall-clock medians; CPU time is the process\'s '
        '(all threads). Per-round ratio '
        f'{cand_name} / {base_name} (the two iterations of a round paired), '
        f'median [IQR]: wall {ratio["wall"]["paired"]["median"]:.3f}× '
        f'[{ratio["wall"]["paired"]["iqr"]:.3f}], CPU '
        f'{ratio["cpu"]["paired"]["median"]:.3f}× '
        f'[{ratio["cpu"]["paired"]["iqr"]:.3f}].', '',
        f'**Target {cand_name} ≤ {target:.2f}× {base_name} time per '
        f'iteration: {"met" if met else "NOT met"} '
        f'({judged["median"]:.3f}×, IQR {judged["iqr"]:.3f}),** judged on '
        f'the per-round ratio of {metric}.', '',
        f'Arithmetic per iteration (forward + backward; matrix products, '
        f'convolutions and attention, torch `FlopCounterMode`): '
        f'{base["flops"] / 1e9:,.2f} GFLOP ({base_name}) / '
        f'{cand["flops"] / 1e9:,.2f} GFLOP ({cand_name}), '
        f'{ratio["flops"]:.3f}×. A time ratio above it is spent outside '
        'this arithmetic (element-wise ops, small-matrix inefficiency, '
        'kernel launches, the optimizer step).', '',
        _throughput_text(result, base_name, cand_name, peak_tflops), '',
        'Peak memory: ' + base['memory']['method'] + '. Persistent state '
        f'{_mib(base["memory"]["persistent"])} ({base_name}) / '
        f'{_mib(cand["memory"]["persistent"])} ({cand_name}), transient '
        f'peak {_mib(base["memory"]["transient"])} / '
        f'{_mib(cand["memory"]["transient"])}.',
    ]
    if base.get('compiled') or cand.get('compiled'):
        lines += ['', _compile_text(base_name, base, cand_name, cand)]
    if 'breakdown' in base and 'breakdown' in cand:
        lines += ['', _format_breakdown(base_name, base['breakdown'],
                                        cand_name, cand['breakdown'],
                                        result['device'])]
    lines += ['', f'Reproduce: `{command}`']
    return '\n'.join(lines)


def _compile_text(base_name, base, cand_name, cand) -> str:
    """Compile time against the speed-up: the first iteration of each model
    (a compiled one compiles in it) above its median iteration, and the
    iterations after which the candidate's saving repays the difference."""
    extra = {name: entry['first_iteration'] -
             entry['summary']['total']['median']
             for name, entry in ((base_name, base), (cand_name, cand))}
    text = ('Compilation (first iteration above the median one; the '
            'profile breakdown is omitted for a compiled model, whose '
            'kernels carry no module scopes): ' + ', '.join(
                f'{name} {extra[name] / 1e3:,.1f} s' for name in extra))
    saving = (base['summary']['total']['median'] -
              cand['summary']['total']['median'])
    cost = extra[cand_name] - extra[base_name]
    if saving > 0 and cost > 0:
        text += (f'; {cand_name} repays its extra '
                 f'{cost / 1e3:,.1f} s after {math.ceil(cost / saving):,} '
                 'iterations')
    elif saving <= 0:
        text += f'; {cand_name} saves no time per iteration here'
    return text + '.'


def _throughput_text(result, base_name, cand_name, peak_tflops) -> str:
    base, cand = (throughput(result['models'][n], result['batch_size'],
                             peak_tflops) for n in (base_name, cand_name))
    text = (f'Throughput (wall-clock medians): '
            f'{base["images_per_s"]:,.3g} images/s ({base_name}) / '
            f'{cand["images_per_s"]:,.3g} images/s ({cand_name}), '
            f'{cand["images_per_s"] / base["images_per_s"]:.3f}×; arithmetic '
            f'rate {base["tflops"]:.3g} / {cand["tflops"]:.3g} TFLOP/s')
    if peak_tflops:
        text += (f'; model-FLOP utilisation {100 * base["mfu"]:.2f} % / '
                 f'{100 * cand["mfu"]:.2f} % of {peak_tflops:g} TFLOP/s '
                 '(the stated peak)')
    return text + '.'


def _format_breakdown(base_name, base, cand_name, cand, device) -> str:
    """Component table; components both models have do the same work, so
    their difference is noise and the share of the added cost is computed
    over the other rows. A method component of :data:`METHOD_COMPONENTS`
    is compared with the baseline's component it names (LUT's two-view
    encoder with MAE's encoder) and counts in the shares."""
    unit = 'device' if torch.device(device).type == 'cuda' else 'CPU'
    lines = [
        f'Where the time goes: profiled iterations (median), {unit} self '
        'time of the ops attributed to each component, in ms (forward / '
        'backward / optimizer step); the profiler\'s overhead makes the '
        'sums differ somewhat from the unprofiled times. Components present '
        'in both models do the same work: their difference is measurement '
        'noise and is left out of the shares.', '',
        f'| component | {base_name} fwd / bwd / step | {cand_name} fwd / bwd '
        f'/ step | Δ ms | share of the added cost |',
        '|---|---:|---:|---:|---:|',
    ]
    zero = dict.fromkeys(PHASES, 0.)
    component_labels = {label for _, label in COMPONENTS}
    counterpart = {label: other for _, label, other in METHOD_COMPONENTS
                   if other is not None and label in cand and other in base
                   and other not in cand}
    shared = {label for label in cand
              if label in component_labels and label in base}
    rows = [(label, base.get(counterpart.get(label, label), zero),
             cand[label]) for label in cand]
    compared = set(cand) | set(counterpart.values())
    rows += [(label, base[label], zero) for label in base
             if label not in compared]  # work the candidate does not do
    delta = {label: sum(c.values()) - sum(b.values())
             for label, b, c in rows}
    added = sum(v for label, v in delta.items() if label not in shared)

    def cell(times):
        return ' / '.join(_ms(times[p]) for p in PHASES)

    for label, base_times, cand_times in rows:
        if label in shared:
            share = '(same work)'
        elif added > 0:
            share = f'{100 * delta[label] / added:.0f} %'
        else:
            share = '–'
        shown = label if label not in counterpart else (
            f'{label}, vs {base_name}: {counterpart[label]}')
        lines.append(f'| {shown} | {cell(base_times)} | '
                     f'{cell(cand_times)} | {delta[label]:+.1f} | {share} |')
    b_total = sum(sum(v.values()) for v in base.values())
    c_total = sum(sum(v.values()) for v in cand.values())
    lines.append(f'| **total** | {_ms(b_total)} | {_ms(c_total)} | '
                 f'{c_total - b_total:+.1f} ({c_total / b_total:.2f}×) | |')
    return '\n'.join(lines)


def replace_section(text: str, name: str, body: str) -> str:
    """Put ``body`` between the markers of section ``name`` in ``text``.

    The section is delimited by ``<!-- BEGIN name -->`` and
    ``<!-- END name -->``; everything outside the markers is kept. Without
    markers the section is appended.
    """
    begin, end = f'<!-- BEGIN {name} -->', f'<!-- END {name} -->'
    block = f'{begin}\n{body.strip()}\n{end}'
    pattern = re.compile(re.escape(begin) + r'.*?' + re.escape(end), re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    if text and not text.endswith('\n'):
        text += '\n'
    return f'{text}\n{block}\n' if text else f'{block}\n'


def write_section(path: str, name: str, body: str) -> None:
    """Rewrite section ``name`` of the markdown file ``path`` with ``body``
    (:func:`replace_section`); a missing file is created with a
    ``# Benchmarks`` title."""
    text = '# Benchmarks\n'
    if os.path.exists(path):
        with open(path, encoding='utf-8') as f:
            text = f.read()
    text = replace_section(text, name, body)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)

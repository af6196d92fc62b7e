"""Training cost of MeSa's geometric and supervised stages against plain
depth fine-tuning of the same encoder, on the same batch and image size.

The three models are built from their configs (each under its own
``default_scope``: MeSa's stages are mmpretrain self-supervisors, the
fine-tuning an mmseg depth estimator) with their configs' optimizers, and
trained in one process with interleaved iterations
(:func:`~.benchmark.time_training_iterations`). Their batches are
synthetic, shaped as each model's data preprocessor hands them over:

- a stage: a snippet, the list ``[I_t, I_r1, I_r2]`` of normalised
  (B, 3, H, W) frames, and per sample ``intrinsics`` (3, 3) and, for the
  supervised stage, ``pseudo_depth`` (F, H, W) (``PackSnippetInputs``);
- the fine-tuning: the target frames ``I_t`` and per sample a
  ``gt_depth_map`` (1, H, W) (mmseg's ``SegDataSample``).

So the fine-tuning sees the stages' target frames: one encoder, one image
size, one batch size.
"""
import copy
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.registry import DefaultScope, init_default_scope
from torch import nn

from .benchmark import (TrainingRun, count_parameters, interleaved_profiles,
                        load_config, median_breakdown, peak_memory,
                        summarize, time_ratios, time_training_iterations)

Batch = Tuple[Union[torch.Tensor, List[torch.Tensor]], list]
STAGE_TYPES = ('MeSaGeometric', 'MeSaSupervised')


def model_kind(cfg: Config) -> str:
    """``'stage'`` (a MeSa self-supervisor) or ``'depth'`` (any other
    model: a depth estimator trained on images and ``gt_depth_map``)."""
    kind = str(cfg.model.type).split('.')[-1]
    return 'stage' if kind in STAGE_TYPES else 'depth'


def build_in_scope(cfg: Config, device: str = 'cpu'
                   ) -> Tuple[nn.Module, OptimWrapper]:
    """The config's model (train mode) and fp32 optimizer wrapper, built
    as mmengine's Runner builds them: under the config's ``default_scope``
    (``mmpretrain`` without one), SyncBN reverted to BN."""
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import MODELS
    scope = cfg.get('default_scope') or 'mmpretrain'
    init_default_scope(scope)
    with DefaultScope.overwrite_default_scope(scope):
        model = revert_sync_batchnorm(MODELS.build(cfg.model))
        model = model.to(device).train()
        wrapper_cfg = copy.deepcopy(cfg.optim_wrapper)
        wrapper_cfg['type'] = 'OptimWrapper'
        for key in ('loss_scale', 'dtype', 'use_fsdp'):
            wrapper_cfg.pop(key, None)
        optim_wrapper = build_optim_wrapper(model, wrapper_cfg)
    return model, optim_wrapper


def intrinsics_matrix(height: int, width: int) -> torch.Tensor:
    """A pinhole camera for (H, W) frames: focal length ``W``, principal
    point at the centre (about 53 degrees of horizontal field of view)."""
    return torch.tensor([[width, 0., width / 2], [0., width, height / 2],
                         [0., 0., 1.]])


def snippet_batch(batch_size: int, height: int, width: int,
                  num_frames: int = 3, pseudo_depth: bool = False,
                  device: str = 'cpu', seed: int = 0) -> Batch:
    """A snippet batch (module docstring). Depth maps are drawn in
    [0.5, 10] m; the frames are standard normal (normalised images)."""
    from mmpretrain.structures import DataSample
    rng = torch.Generator().manual_seed(seed)
    frames = [torch.randn(batch_size, 3, height, width, generator=rng)
              for _ in range(num_frames)]
    samples = []
    for _ in range(batch_size):
        sample = DataSample()
        sample.set_field(intrinsics_matrix(height, width), 'intrinsics')
        if pseudo_depth:
            sample.set_field(0.5 + 9.5 * torch.rand(
                num_frames, height, width, generator=rng), 'pseudo_depth')
        samples.append(sample.to(device))
    return [f.to(device) for f in frames], samples


def depth_batch(frames: torch.Tensor, device: str = 'cpu',
                seed: int = 0) -> Batch:
    """The fine-tuning batch of the frames ``frames`` (B, 3, H, W): depth
    maps in [0.5, 10] m as ``gt_depth_map``, with the image shapes in the
    metainfo."""
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    rng = torch.Generator().manual_seed(seed)
    height, width = frames.shape[2:]
    samples = []
    for _ in range(frames.shape[0]):
        sample = SegDataSample(metainfo=dict(
            img_shape=(height, width), ori_shape=(height, width),
            pad_shape=(height, width)))
        sample.gt_depth_map = PixelData(
            data=0.5 + 9.5 * torch.rand(1, height, width, generator=rng))
        samples.append(sample.to(device))
    return frames.to(device), samples


def stage_batches(cfgs: List[Config], batch_size: int, height: int,
                  width: int, device: str = 'cpu') -> List[Batch]:
    """One batch per config (module docstring): the stages' snippets share
    their frames, and the fine-tuning gets their target frames."""
    snippet = snippet_batch(batch_size, height, width, pseudo_depth=True,
                            device=device)
    batches = []
    for cfg in cfgs:
        if model_kind(cfg) == 'stage':
            batches.append(snippet)
        else:
            batches.append(depth_batch(snippet[0][0], device))
    return batches


def benchmark_stages(configs: Dict[str, Union[str, Config]],
                     batch_size: int, height: int, width: int, iters: int,
                     warmup: int = 2, device: str = 'cpu',
                     baseline: Optional[str] = None,
                     breakdown_iters: int = 2,
                     progress: bool = True) -> dict:
    """Time ``configs`` (name -> config; ``baseline`` the fine-tuning,
    default the first) on the same frames (:func:`stage_batches`).

    Returns:
        dict: per model ``config``, ``kind``, ``params``, ``times`` (ms per
        phase and round), ``summary`` (median / IQR), ``iters_per_s``
        (1000 / median wall ms), ``memory`` (``peak_memory``) and
        ``breakdown`` (``profile_breakdown``'s per-component ms, over
        ``breakdown_iters`` profiled iterations; none for 0); and per
        model ``ratio`` against the baseline: ``wall`` and ``cpu``, each
        ``medians`` (ratio of the medians) and ``paired`` (median and IQR
        of the per-round ratios), and ``memory``.
    """
    names = list(configs)
    baseline = baseline or names[0]
    cfgs = [load_config(c) for c in configs.values()]
    if model_kind(cfgs[names.index(baseline)]) != 'depth':
        raise ValueError(f'the baseline {baseline!r} must be a depth '
                         'fine-tuning config, not a MeSa stage')
    batches = stage_batches(cfgs, batch_size, height, width, device)
    runs = {}
    for name, cfg, batch in zip(names, cfgs, batches):
        model, optim_wrapper = build_in_scope(cfg, device)
        runs[name] = TrainingRun(model, optim_wrapper, batch)
    times = time_training_iterations(runs, iters, warmup, progress)
    profiles = interleaved_profiles(runs, breakdown_iters)
    models = {}
    for name, cfg, config in zip(names, cfgs, configs.values()):
        summary = {k: summarize(v) for k, v in times[name].items()}
        models[name] = dict(
            config=config if isinstance(config, str) else cfg.filename,
            kind=model_kind(cfg),
            params=count_parameters(runs[name].model),
            times=times[name], summary=summary,
            iters_per_s=1e3 / summary['total']['median'],
            memory=peak_memory(*runs[name]))
        if breakdown_iters:
            models[name]['breakdown'] = median_breakdown(
                profiles[name], runs[name].model, device)
    base = models[baseline]
    for name, entry in models.items():
        entry['ratio'] = dict(memory=entry['memory']['peak'] /
                              base['memory']['peak'],
                              **time_ratios(base, entry))
    return dict(batch_size=batch_size, height=height, width=width,
                iters=iters, warmup=warmup, device=device,
                baseline=baseline, models=models)

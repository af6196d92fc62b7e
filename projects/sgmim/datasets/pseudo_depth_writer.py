"""Offline pseudo-depth ("structured knowledge") maps for SG-MIM.

An mmseg ``DepthEstimator`` (any config + checkpoint) predicts a depth map
for every image of a folder tree; each map is written to the *parallel*
folder under the same relative path with the extension replaced, which is
the layout the project's pre-training datasets read::

    <img_dir>/n01440764/x.JPEG  ->  <out_dir>/n01440764/x.png

Formats (chosen by the output extension):

- ``.png``: 16-bit single-channel PNG, ``round(depth_m * scale)`` clipped to
  ``[1, 65535]`` (``scale=1000``: millimetres); ``0`` marks an invalid pixel
  (non-finite or non-positive prediction).
- ``.npy``: float32 ``(H, W)`` array of metres (``scale`` is not used).

Each map has the size of its image. Files are written atomically (temporary
sibling + ``os.replace``), maps already present are skipped unless
``overwrite=True``, and under ``torch.distributed`` rank ``r`` of ``w``
handles items ``r::w`` of the sorted list of maps still to write.

Example::

    model = init_depth_model('depth_cfg.py', 'depth.pth', device='cpu')
    counts = generate_pseudo_depth(model, 'imagenet/train',
                                   'imagenet/pseudo_depth/train')
"""
import contextlib
import copy
import io
import logging
import os
import os.path as osp
import signal
import sys
from dataclasses import dataclass
from typing import List, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.dist import (all_reduce, barrier, get_dist_info, init_dist,
                           is_distributed)
from mmengine.logging import MMLogger, print_log
from mmengine.utils import ProgressBar
from mmseg.apis import init_model
from mmseg.models import DepthEstimator
from torch.utils.data import DataLoader, Dataset

from ..utils.run_config import set_launcher
from .synthscenes.files import atomic_write_bytes, write_png

#: Image files picked up under the input folder (compared lower-case).
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png')
#: Output formats: 16-bit PNG of ``depth * scale`` or float32 metres.
MAP_EXTENSIONS = ('.png', '.npy')
#: Largest value a 16-bit map can hold.
UINT16_MAX = 65535
#: Test-pipeline steps that read ground truth, which an unlabelled image
#: folder does not have.
ANNOTATION_LOADERS = ('LoadAnnotations', 'LoadDepthAnnotation')
#: mmseg logs this for every batch whose images differ in size, although
#: each prediction is resized back to its own image.
MIXED_SHAPES_WARNING = 'Image shapes are different in the batch.'


class UnreadableImageError(RuntimeError):
    """An input image could not be loaded; the message names the file."""


@dataclass
class GenerationCounts:
    """Numbers of maps written, skipped (already present) and failed."""

    written: int
    skipped: int
    failed: int

    def __str__(self):
        return (f'written: {self.written}, skipped: {self.skipped}, '
                f'failed: {self.failed}')


@dataclass(frozen=True)
class MapJob:
    """One image and the map to write for it."""

    image: str
    target: str


# ---------------------------------------------------------------- the files


def find_images(img_dir: str, exclude: str = None) -> List[str]:
    """Sorted paths, relative to ``img_dir``, of every image below it.

    Symbolic links to folders are followed unless they lead back to a
    folder being searched (a loop); the folder ``exclude`` (typically the
    output folder when it lies inside ``img_dir``) is not searched.
    """
    if not osp.isdir(img_dir):
        raise FileNotFoundError(f'image folder not found: {img_dir}')
    excluded = osp.realpath(exclude) if exclude else None
    found = []
    for folder, subfolders, files in os.walk(img_dir, followlinks=True):
        here = osp.realpath(folder)
        subfolders[:] = [
            name for name in subfolders
            if not _skip_folder(osp.join(folder, name), here, excluded)
        ]
        found += [
            osp.relpath(osp.join(folder, name), img_dir) for name in files
            if osp.splitext(name)[1].lower() in IMAGE_EXTENSIONS
        ]
    return sorted(found)


def _skip_folder(path: str, parent: str, excluded: str) -> bool:
    """Whether folder ``path`` (inside the real folder ``parent``) is
    ``excluded`` or resolves to ``parent`` or one of its ancestors."""
    real = osp.realpath(path)
    return real == excluded or osp.commonpath([real, parent]) == real


def map_jobs(img_dir: str, out_dir: str, ext: str = '.png') -> List[MapJob]:
    """One :class:`MapJob` per image under ``img_dir``, in sorted order.

    The map keeps the image's relative path with the extension replaced by
    ``ext``; two images that would share a map (``a.jpg`` and ``a.png``)
    are an error.
    """
    check_map_extension(ext)
    jobs, owners = [], {}
    for relative in find_images(img_dir, exclude=out_dir):
        target = osp.join(out_dir, osp.splitext(relative)[0] + ext)
        if target in owners:
            raise ValueError(f'{osp.join(img_dir, owners[target])} and '
                             f'{osp.join(img_dir, relative)} would both be '
                             f'written to {target}')
        owners[target] = relative
        jobs.append(MapJob(osp.join(img_dir, relative), target))
    return jobs


def check_map_extension(ext: str) -> None:
    if ext not in MAP_EXTENSIONS:
        raise ValueError(f'map extension must be one of {MAP_EXTENSIONS}, '
                         f'got {ext!r}')


def depth_to_uint16(depth: np.ndarray, scale: float = 1000.0) -> np.ndarray:
    """Metres -> ``round(depth * scale)`` as uint16, ``0`` = invalid.

    Finite positive depths map to ``[1, 65535]`` (saturating at
    ``65535 / scale`` metres); NaN, infinite and non-positive ones to 0.

    >>> depth_to_uint16(np.array([0.0, 0.0004, 1.2344, np.nan, 70.0]))
    array([    0,     1,  1234,     0, 65535], dtype=uint16)
    """
    depth = np.asarray(depth, dtype=np.float64)
    valid = np.isfinite(depth) & (depth > 0)
    units = np.round(np.where(valid, depth, 0.0) * scale)
    return np.where(valid, np.clip(units, 1, UINT16_MAX), 0).astype(np.uint16)


def write_depth_map(path: str, depth: np.ndarray,
                    scale: float = 1000.0) -> None:
    """Atomically write an ``(H, W)`` map of metres to ``path``.

    The format follows the extension: ``.png`` (see :func:`depth_to_uint16`)
    or ``.npy`` (float32 metres).
    """
    ext = osp.splitext(path)[1]
    check_map_extension(ext)
    if ext == '.png':
        write_png(path, depth_to_uint16(depth, scale))
        return
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(depth, dtype=np.float32))
    atomic_write_bytes(path, buffer.getvalue())


def pending_jobs(jobs: Sequence[MapJob],
                 overwrite: bool = False) -> List[MapJob]:
    """The jobs whose map does not exist yet (all of them if ``overwrite``)."""
    if overwrite:
        return list(jobs)
    return [job for job in jobs if not osp.exists(job.target)]


# ---------------------------------------------------------------- the model


def init_depth_model(config, checkpoint: str, device: str = 'cpu'):
    """Build an mmseg ``DepthEstimator`` with ``mmseg.apis.init_model``.

    ``config`` is a path or a :class:`~mmengine.config.Config`; a model of
    another kind is a ``TypeError``.
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {checkpoint}')
    model = init_model(config, checkpoint, device=device)
    if not isinstance(model, DepthEstimator):
        raise TypeError(f'expected an mmseg DepthEstimator, the config '
                        f'builds {type(model).__name__}')
    return model


def init_distributed(cfg: Config, launcher: str) -> None:
    """Join the job's process group (no-op for ``launcher='none'``).

    Without CUDA, :func:`~sgmim.utils.run_config.set_launcher` starts a gloo
    group; with CUDA, mmengine's ``init_dist`` sets the device and uses the
    config's ``env_cfg.dist_cfg`` (default NCCL).
    """
    set_launcher(cfg, launcher)
    if launcher != 'none' and not is_distributed():
        init_dist(launcher, **cfg.get('env_cfg', {}).get('dist_cfg', {}))


def default_device() -> str:
    """``cuda:<LOCAL_RANK>`` when CUDA is available, else ``cpu``."""
    if torch.cuda.is_available():
        return f'cuda:{int(os.environ.get("LOCAL_RANK", 0))}'
    return 'cpu'


def split_test_pipeline(cfg: Config):
    """``(loader, rest)`` transform configs of the model's test pipeline.

    The pipeline is ``cfg.test_pipeline`` or, failing that, the test
    dataset's. Ground-truth loaders are dropped; the first step must load
    the image from ``img_path`` so that a bad file is told apart from a
    failing transform.
    """
    pipeline = cfg.get('test_pipeline') or cfg.get('test_dataloader', {}).get(
        'dataset', {}).get('pipeline')
    if not pipeline:
        raise KeyError('the config has no test_pipeline (nor '
                       'test_dataloader.dataset.pipeline)')
    steps = [
        copy.deepcopy(step) for step in pipeline
        if step['type'].split('.')[-1] not in ANNOTATION_LOADERS
    ]
    if not steps or 'LoadImageFromFile' not in steps[0]['type']:
        raise ValueError(f'the test pipeline must start with an image loader '
                         f'(LoadImageFromFile), got {steps[:1]}')
    return steps[:1], steps[1:]


class ImageInputs(Dataset):
    """The model inputs of each job's image, through the test pipeline.

    An item is ``dict(job=..., inputs=..., data_samples=...)`` or, for an
    image that cannot be loaded, ``dict(job=..., error=message)``.
    """

    def __init__(self, jobs: Sequence[MapJob], cfg: Config):
        loader, rest = split_test_pipeline(cfg)
        self.jobs = list(jobs)
        self.load = Compose(loader)
        self.transform = Compose(rest)

    def __len__(self):
        return len(self.jobs)

    def __getitem__(self, index):
        job = self.jobs[index]
        try:
            results = self.load(dict(img_path=job.image))
        except Exception as exc:  # any decoding/IO failure of this file
            return dict(job=job, error=f'{type(exc).__name__}: {exc}')
        if results is None:
            return dict(job=job, error='the loader returned no image')
        return dict(job=job, **self.transform(results))


def as_list(batch):
    """DataLoader ``collate_fn``: keep the items as they are."""
    return batch


def group_by_shape(items: Sequence[dict]) -> List[List[dict]]:
    """Split items into runs whose input tensors have one shape.

    mmseg's data preprocessor stacks a test batch without padding, so a
    pipeline that keeps the aspect ratio needs one forward pass per shape.
    """
    groups = {}
    for item in items:
        groups.setdefault(tuple(item['inputs'].shape), []).append(item)
    return list(groups.values())


def predict_depth(model, items: Sequence[dict]) -> List[np.ndarray]:
    """``(H, W)`` float32 depth (metres) of each item, at its image's size.

    Runs ``model.test_step``; each ``pred_depth_map`` is already resized
    to the original image by ``DepthEstimator.postprocess_result``.
    """
    data = dict(inputs=[item['inputs'] for item in items],
                data_samples=[item['data_samples'] for item in items])
    with torch.no_grad():
        samples = model.test_step(data)
    depths = []
    for item, sample in zip(items, samples):
        depth = sample.pred_depth_map.data
        if depth.dim() != 3 or depth.shape[0] != 1:
            raise ValueError(f'{item["job"].image}: expected a one-channel '
                             f'depth map, got shape {tuple(depth.shape)}')
        depths.append(depth[0].float().cpu().numpy())
    return depths


class _DropMessage(logging.Filter):
    """Logging filter that drops records with exactly ``message``."""

    def __init__(self, message: str):
        super().__init__()
        self.message = message

    def filter(self, record):
        return record.getMessage() != self.message


@contextlib.contextmanager
def mixed_shape_warning_silenced():
    """Silence :data:`MIXED_SHAPES_WARNING` on mmengine's current logger."""
    logger = MMLogger.get_current_instance()
    drop = _DropMessage(MIXED_SHAPES_WARNING)
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


# --------------------------------------------------------------- the driver


@contextlib.contextmanager
def sigterm_as_exit():
    """Turn SIGTERM into ``SystemExit(143)`` while the block runs.

    torchrun, slurm and ``kill`` stop a job with SIGTERM, which by default
    ends Python without running ``finally`` blocks; as an exception it lets
    an interrupted write remove its temporary file. Main thread only.
    """

    def exit_now(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, exit_now)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def report_bad_image(job: MapJob, message: str, skip_bad: bool) -> None:
    """Raise :class:`UnreadableImageError`, or log it when ``skip_bad``."""
    text = f'cannot read image {job.image}: {message}'
    if not skip_bad:
        raise UnreadableImageError(text)
    print_log(f'{text} (skipped, no map written)', logger='current',
              level=logging.WARNING)


def process_batch(model, batch: Sequence[dict], scale: float, skip_bad: bool):
    """Predict and write the maps of one batch of :class:`ImageInputs`
    items; returns the numbers ``(written, failed)``."""
    ready = []
    for item in batch:
        if 'error' in item:
            report_bad_image(item['job'], item['error'], skip_bad)
        else:
            ready.append(item)
    for group in group_by_shape(ready):
        for item, depth in zip(group, predict_depth(model, group)):
            write_depth_map(item['job'].target, depth, scale)
    return len(ready), len(batch) - len(ready)


def shard(jobs: Sequence[MapJob], rank: int, world_size: int):
    """Rank ``rank``'s share of ``jobs``: items ``rank::world_size``."""
    return list(jobs[rank::world_size])


def generate_pseudo_depth(model, img_dir: str, out_dir: str,
                          batch_size: int = 1, ext: str = '.png',
                          scale: float = 1000.0, overwrite: bool = False,
                          skip_bad: bool = False, num_workers: int = 0,
                          progress: bool = True) -> GenerationCounts:
    """Write a depth map for every image under ``img_dir`` to ``out_dir``.

    Args:
        model: an mmseg ``DepthEstimator`` (see :func:`init_depth_model`),
            with its config as ``model.cfg``.
        img_dir (str): folder searched recursively for images.
        out_dir (str): root of the parallel map folder.
        batch_size (int): images per forward pass. Defaults to 1.
        ext (str): ``'.png'`` or ``'.npy'``. Defaults to ``'.png'``.
        scale (float): PNG units per metre. Defaults to 1000 (millimetres).
        overwrite (bool): rewrite maps that exist. Defaults to False.
        skip_bad (bool): log unreadable images and go on instead of raising
            :class:`UnreadableImageError`. Defaults to False.
        num_workers (int): DataLoader processes that decode and transform
            images. Defaults to 0 (in this process).
        progress (bool): show a progress bar on rank 0. Defaults to True.

    Returns:
        GenerationCounts: totals over all ranks.
    """
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    if not scale > 0:
        raise ValueError(f'scale must be > 0, got {scale}')
    rank, world_size = get_dist_info()
    jobs = map_jobs(img_dir, out_dir, ext)
    todo = pending_jobs(jobs, overwrite)
    barrier()  # every rank has listed the maps before any is written
    inputs = ImageInputs(shard(todo, rank, world_size), model.cfg)
    loader = DataLoader(inputs, batch_size=batch_size, shuffle=False,
                        num_workers=num_workers, collate_fn=as_list)
    bar = ProgressBar(len(inputs), file=sys.stderr) \
        if progress and rank == 0 else None
    totals = torch.zeros(2, dtype=torch.int64)  # written, failed
    with mixed_shape_warning_silenced():
        for batch in loader:
            totals += torch.tensor(process_batch(model, batch, scale,
                                                 skip_bad))
            if bar is not None:
                bar.update(len(batch))
    if bar is not None:
        sys.stderr.write('\n')
    all_reduce(totals)
    return GenerationCounts(written=int(totals[0]),
                            skipped=len(jobs) - len(todo),
                            failed=int(totals[1]))

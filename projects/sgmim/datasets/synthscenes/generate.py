"""Orchestration: options, the job list, (parallel) execution, manifest."""
import multiprocessing
import os
from dataclasses import asdict, dataclass, field

import cv2
from tqdm import tqdm

from .classes import (ADE_CLASSES, OBJECT_ADE_NAME, OBJECT_COCO_NAME,
                      coco_category_id)
from .files import write_json
from .ibims_layout import IBimsLayout
from .layouts import LAYOUTS as _LAYOUTS
from .layouts import ViewJob
from .render import check_texture_space
from .sampling import MAX_OBJECTS, STYLE_NAMES

VERSION = '1.0.0'
LAYOUTS = {**_LAYOUTS, IBimsLayout.name: IBimsLayout()}
SUBSETS = tuple(LAYOUTS)
#: Subsets written only when asked for. Every view draws from its own
#: subset's random streams (``layouts.view_rng``), so adding one never
#: changes another's files; keeping it out of the defaults (and its count
#: out of the manifest unless it is generated) also keeps the manifest of a
#: default run, and so every existing study's data, byte-identical.
OPTIONAL_SUBSETS = ('ibims', )
DEFAULT_SUBSETS = tuple(s for s in SUBSETS if s not in OPTIONAL_SUBSETS)
MANIFEST_NAME = 'synthscenes.json'

#: Default ``(width, height)`` per subset; ImageNet-style pre-training images
#: instead draw each side from ``pretrain_size_range`` unless a size is given.
DEFAULT_SIZES = {
    'ade': (160, 120),
    'coco': (160, 120),
    'nyu': (160, 120),
    'kitti': (256, 78),
    'trajectories': (128, 96),
    'ibims': (160, 120),
}

_COUNT_OPTIONS = ('num_pretrain', 'num_pretrain_val', 'num_train', 'num_val',
                  'num_trajectories', 'num_val_trajectories',
                  'min_visible_area', 'num_ibims')

#: Options recorded in the manifest only when their subset is generated.
_SUBSET_OPTIONS = {'num_ibims': 'ibims'}

#: Options recorded in the manifest only when they differ from these
#: defaults, so that a default run's manifest (and every existing study's
#: data) stays as it was before the option existed.
_RECORDED_IF_CHANGED = {'texture_space': 'surface'}

#: Options that change how files are produced but never their content.
_EXECUTION_OPTIONS = ('workers', 'show_progress')


def _as_subsets(value):
    if value == 'all':
        return SUBSETS
    if isinstance(value, str):
        value = [v.strip() for v in value.split(',') if v.strip()]
    subsets = tuple(value)
    for name in subsets:
        if name not in SUBSETS:
            raise ValueError(f'subsets: unknown subset {name!r}, expected '
                             f'some of {",".join(SUBSETS)}')
    return tuple(name for name in SUBSETS if name in subsets)


def _as_size(option, value):
    try:
        width, height = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f'{option}: expected (width, height), got {value!r}')
    if width <= 0 or height <= 0:
        raise ValueError(f'{option}: width and height must be > 0, got '
                         f'{value!r}')
    return width, height


@dataclass(frozen=True)
class GenerateOptions:
    """What to generate.  Every field is validated on construction and a bad
    value raises ``ValueError`` naming the field."""

    subsets: tuple = DEFAULT_SUBSETS  # names, a comma list or "all"
    num_pretrain: int = 128  # imagenet/train
    num_pretrain_val: int = 32  # imagenet/val
    num_train: int = 48  # train split of ade, coco, nyu, kitti
    num_val: int = 16  # val/test split of ade, coco, nyu, kitti
    num_trajectories: int = 4
    num_val_trajectories: int = 1  # the last ones, listed in val.txt
    trajectory_length: int = 6
    img_size: tuple = None  # (W, H) for every subset, incl. imagenet
    sizes: dict = field(default_factory=dict)  # subset -> (W, H)
    pretrain_size_range: tuple = (96, 128)
    min_objects: int = 3
    max_objects: int = 7
    min_visible_area: int = 16  # px; smaller COCO instances are skipped
    num_ibims: int = 4  # ibims/ test images (an optional subset)
    texture_space: str = 'surface'  # render.TEXTURE_SPACES: or 'screen'
    workers: int = 1
    show_progress: bool = True

    def __post_init__(self):
        set_ = self._set
        set_('subsets', _as_subsets(self.subsets))
        for name in _COUNT_OPTIONS + ('min_objects', 'max_objects'):
            self._check_int(name, minimum=0)
        for name in ('trajectory_length', 'workers'):
            self._check_int(name, minimum=1)
        if self.max_objects > MAX_OBJECTS:
            raise ValueError(f'max_objects: must be <= {MAX_OBJECTS}, got '
                             f'{self.max_objects}')
        if self.max_objects < self.min_objects:
            raise ValueError(f'max_objects: must be >= min_objects '
                             f'({self.min_objects}), got {self.max_objects}')
        if self.num_val_trajectories > self.num_trajectories:
            raise ValueError(
                f'num_val_trajectories: must be <= num_trajectories '
                f'({self.num_trajectories}), got {self.num_val_trajectories}')
        if self.img_size is not None:
            set_('img_size', _as_size('img_size', self.img_size))
        sizes = {}
        for subset, size in dict(self.sizes).items():
            if subset not in SUBSETS:
                raise ValueError(f'sizes: unknown subset {subset!r}')
            sizes[subset] = _as_size(f'sizes[{subset!r}]', size)
        set_('sizes', sizes)
        check_texture_space(self.texture_space)
        lo, hi = _as_size('pretrain_size_range', self.pretrain_size_range)
        if hi < lo:
            raise ValueError(f'pretrain_size_range: min > max in '
                             f'{self.pretrain_size_range!r}')
        set_('pretrain_size_range', (lo, hi))

    def _set(self, name, value):
        object.__setattr__(self, name, value)  # normalise a frozen field

    def _check_int(self, name, minimum):
        value = getattr(self, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f'{name}: must be an integer, got {value!r}')
        if value < minimum:
            raise ValueError(f'{name}: must be >= {minimum}, got {value}')

    def size_of(self, subset):
        """``(W, H)`` of a subset; ``None`` = random pre-training size."""
        if subset in self.sizes:
            return self.sizes[subset]
        if self.img_size is not None:
            return self.img_size
        return DEFAULT_SIZES.get(subset)

    def content_dict(self):
        """The options that determine file content (for the manifest)."""
        options = asdict(self)
        for name in _EXECUTION_OPTIONS:
            options.pop(name)
        for name, subset in _SUBSET_OPTIONS.items():
            if subset not in self.subsets:
                options.pop(name)
        for name, default in _RECORDED_IF_CHANGED.items():
            if options[name] == default:
                options.pop(name)
        options['sizes'] = {s: self.size_of(s) for s in self.subsets
                            if self.size_of(s) is not None}
        return options


def _init_worker():
    cv2.setNumThreads(1)


def _run_job(task):
    job, seed, options, out_dir = task
    return LAYOUTS[job.subset].run(job, seed, options, out_dir)


def _execute(jobs, seed, options, out_dir):
    """Run every job, in-process or on ``options.workers`` processes;
    records come back in job order either way.

    Workers are spawned, not forked: a fork after OpenCV's thread pool ran
    in the parent can deadlock the child.
    """
    tasks = [(job, seed, options, out_dir) for job in jobs]
    progress = dict(total=len(tasks), desc='synthscenes', unit='view',
                    disable=not options.show_progress)
    if options.workers == 1 or len(tasks) <= 1:
        return [_run_job(t) for t in tqdm(tasks, **progress)]
    context = multiprocessing.get_context('spawn')
    with context.Pool(options.workers, initializer=_init_worker) as pool:
        return list(tqdm(pool.imap(_run_job, tasks, chunksize=2), **progress))


def class_tables():
    """Scene categories and label tables written to the manifest."""
    return {
        'scene_categories': list(STYLE_NAMES),
        'ade20k': dict(ADE_CLASSES),
        'objects': {
            kind: {'ade20k_name': OBJECT_ADE_NAME[kind],
                   'ade20k_label': ADE_CLASSES[OBJECT_ADE_NAME[kind]],
                   'coco_name': OBJECT_COCO_NAME[kind],
                   'coco_id': coco_category_id(kind)}
            for kind in OBJECT_ADE_NAME
        },
    }


def generate(out_dir, seed=0, **options):
    """Generate the selected subsets under ``out_dir``; return the manifest.

    ``options`` are the fields of :class:`GenerateOptions`.  The output is a
    pure function of ``(seed, options)`` apart from ``workers`` and
    ``show_progress``.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f'seed: must be a non-negative integer, got {seed!r}')
    opts = GenerateOptions(**options)
    out_dir = os.fspath(out_dir)
    layouts = [LAYOUTS[name] for name in opts.subsets]
    jobs = [job for layout in layouts for job in layout.jobs(opts)]
    records = _execute(jobs, seed, opts, out_dir)
    for layout in layouts:
        layout.finalize(
            [(j, r) for j, r in zip(jobs, records) if j.subset == layout.name],
            opts, out_dir)
    manifest = {
        'name': 'SynthScenes',
        'version': VERSION,
        'seed': seed,
        'options': opts.content_dict(),
        'counts': {layout.name: layout.counts(opts) for layout in layouts},
        'num_views': len(jobs),
        'classes': class_tables(),
        'units': {'depth_png_mm': 'uint16 millimetres, 0 = invalid',
                  'kitti_depth_png': 'uint16 metres * 256, 0 = invalid'},
    }
    write_json(os.path.join(out_dir, MANIFEST_NAME), manifest)
    return manifest


def render_dataset_view(manifest, subset, split, index):
    """Re-render view ``index`` of ``split`` of ``subset`` of a generated
    dataset from its manifest (``synthscenes.json``).

    Returns ``(scene, view)`` with ``view`` as from :func:`render_view`, e.g.
    to recover the instance masks behind the COCO polygons.
    """
    options = GenerateOptions(**manifest['options'], show_progress=False)
    job = ViewJob(subset, split, index)
    _, scene, view, _ = LAYOUTS[subset].render(job, manifest['seed'], options)
    return scene, view

"""Pre-training x transfer x seed studies run as ordinary tool subprocesses.

The parts behind ``tools/analysis_tools/synth_study.py`` (and the tool runs of
``tools/demo.py``): run ``tools/train.py`` / ``tools/test.py`` with a log
file, read back their checkpoints and test metrics, read a *study file* and
keep one result file per finished run.

A study file is a plain Python file (read with mmengine ``Config``)::

    pretrain = {                       # name -> None (random initialisation),
        'random': None,                #   a config path, or a dict
        'SimMIM': 'configs/synth/simmim_....py',
        'SG-MIM': dict(config='configs/synth/sgmim_....py',
                       cfg_options=dict(train_cfg=dict(max_epochs=20))),
        'MTO': dict(config='configs/synth/mto-simmim_....py',
                    checkpoints=[5, 10, 15, 20]),   # see below
        'SimMIM+GP': dict(config='configs/synth/mesa-geometric_....py',
                          start_from='SimMIM'),         # see below
    }
    transfer = {                       # name -> dict
        'depth': dict(config='configs/synth/glpdepth_....py',
                      metrics=dict(d1='higher', abs_rel='lower'),
                      cfg_options=dict(train_cfg=dict(max_iters=200))),
    }
    seeds = [0, 1, 2]
    reference = 'random'               # optional: default the first method
    comparisons = [('SG-MIM', 'SimMIM')]         # optional extra pairs
    pretrain_cfg_options = dict()      # optional: every pre-training run
    transfer_cfg_options = dict()      # optional: every transfer train/test
    title = 'SG-MIM vs SimMIM'         # optional
    data = dict(seed=0, num_pretrain=1024)   # optional, see below

``data`` (optional): the study's own SynthScenes set, ``seed`` and the
options of ``sgmim.datasets.synthscenes.generate``. It is generated under
``WORK_DIR/data/synthscenes`` (again only when the seed or an option
changes) and every tool runs in ``WORK_DIR``, so the synth configs' default
``data/synthscenes`` roots read it. Without ``data`` the tools run in the
current directory and read its ``data/synthscenes`` (``make data``).

``checkpoints`` (optional, a method with a config): epochs of the method's
one pre-training run (per seed) to transfer from, e.g.
``checkpoints=[5, 10, 15, 20]``, for convergence curves (MTO's RAUC and
epochs to target). Every transfer task then runs from each of them
(``epoch_E.pth`` beside the run's last checkpoint), the results stored per
(method, epoch, seed) in ``transfer/TASK/METHOD/epochE/seedS``; the study's
tables and paired differences take the last listed epoch, and a comparison
``(candidate, baseline)`` (as every pair: method, reference) of two methods
with checkpoints also gets their curves, RAUC and epochs to target
(``study_stats.convergence``). A method without ``checkpoints`` transfers
from the final checkpoint into ``transfer/TASK/METHOD/seedS``.

The study adds ``default_hooks.checkpoint.max_keep_ckpts=-1`` to such a
run's options, so that no checkpoint is deleted, and refuses, before
anything runs, epochs that the config's ``CheckpointHook`` (after the
cfg_options) would not save: epoch ``e`` is saved when ``e ≥ save_begin``
and ``interval`` divides ``e − save_begin``, or when it is the last
(``save_last``). Training must be epoch-based (an ``EpochBasedTrainLoop``
with ``max_epochs``), the hook by epoch with its default ``epoch_{}.pth``
names. An ``interval`` equal to the list's step (set in the method's
cfg_options) keeps only the listed checkpoints on disk. The list itself is
not an input of the pre-training run: adding an epoch that the run saved
runs only the new transfers.

``start_from`` (optional, a method with a config): the name of a method
listed before it whose pre-trained encoder this method's pre-training
starts from, seed by seed (``model.backbone.init_cfg.checkpoint`` of its
run is that method's final checkpoint of the same seed), e.g. MeSa's
stages: masked, then geometric from the masked encoder, then supervised
from the geometric one. Such a run depends on its upstream result as a
transfer does on its pre-training: a new upstream encoder makes it, and
so every run after it in the chain, stale.

``cfg_options`` are config overrides as for ``--cfg-options`` (nested dicts
or dotted keys). A method's apply to its pre-training runs, a task's to its
fine-tuning and test runs; the seed (``randomness.seed``) and the pre-trained
encoder (``model.backbone.init_cfg.checkpoint``, of the transfers and of a
``start_from`` pre-training) are set last. Relative config
paths are looked up from the current directory, then among the configs
shipped with sgmim (``configs/...``: the repository's).
Names starting with ``_`` are free for helper variables.
"""
import json
import math
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from mmengine.config import Config

from sgmim.datasets.synthscenes import (MANIFEST_NAME, GenerateOptions,
                                        generate)
from sgmim.datasets.synthscenes.files import atomic_write_bytes
from sgmim.utils.config_package import package_dir
from .study_stats import DIRECTIONS

# The shipped configs/ and tools/ (in the repository: links to the top level).
MIM = Path(package_dir()) / '.mim'
TOOLS = (MIM / 'tools').resolve()
STUDY_KEYS = ('pretrain', 'transfer', 'seeds', 'reference', 'comparisons',
              'pretrain_cfg_options', 'transfer_cfg_options', 'title',
              'data')
METHOD_KEYS = ('config', 'cfg_options', 'checkpoints', 'start_from')
TASK_KEYS = ('config', 'metrics', 'cfg_options')
NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.+-]*$')  # also a folder name
RESULT = 'result.json'
# set on a pre-training run with checkpoints: keep every checkpoint it saves
KEEP_CHECKPOINTS = {'default_hooks.checkpoint.max_keep_ckpts': -1}


# --- tool runs (shared with tools/demo.py) ---------------------------------

def run_tool(script, args: Sequence, log, cwd=None) -> Tuple[int, float]:
    """Run ``python tools/<script> *args`` (sgmim's tools) with stdout and
    stderr to ``log``; returns the exit status and the wall time in seconds."""
    start = time.time()
    with open(log, 'w') as f:
        code = subprocess.call([sys.executable, str(TOOLS / script),
                                *map(str, args)], cwd=cwd, stdout=f,
                               stderr=subprocess.STDOUT)
    return code, time.time() - start


def checkpoint_options(checkpoint) -> List[str]:
    """``--cfg-options`` that initialise the encoder of a transfer config from
    ``checkpoint`` (none for ``None``: random initialisation)."""
    if checkpoint is None:
        return []
    return [f'model.backbone.init_cfg.checkpoint={checkpoint}']


def last_checkpoint(run_dir) -> str:
    """The checkpoint a ``tools/train.py`` run in ``run_dir`` saved last."""
    return (Path(run_dir) / 'last_checkpoint').read_text().strip()


def test_metrics(run_dir) -> dict:
    """Metrics of the last ``tools/test.py`` run in ``run_dir``."""
    result = sorted(Path(run_dir).glob('*/*.json'))[-1]
    return json.loads(result.read_text())


def write_json(path, data) -> None:
    """Write ``data`` as JSON atomically (temporary sibling, then rename)."""
    atomic_write_bytes(str(path), (json.dumps(data, indent=1) + '\n').encode())


# --- the study file --------------------------------------------------------

class StudyError(ValueError):
    """A study file, or a run of it, at fault; the message names which."""


class Method(NamedTuple):
    name: str
    config: Optional[Path]  # None: random initialisation
    cfg_options: Dict[str, object]
    checkpoints: Tuple[int, ...] = ()  # epochs to transfer from; () final
    start_from: Optional[str] = None  # the method it starts from


class Task(NamedTuple):
    name: str
    config: Path
    metrics: Dict[str, str]  # metric -> 'higher' | 'lower'
    cfg_options: Dict[str, object]


class Study(NamedTuple):
    path: Path
    title: str
    methods: List[Method]
    tasks: List[Task]
    seeds: List[int]
    reference: str
    comparisons: List[Tuple[str, str]]  # (method, reference)
    data: Optional[dict] = None  # SynthScenes seed + generate() options


def flatten_options(options, prefix='') -> Dict[str, object]:
    """Nested override dicts -> ``{'a.b.c': value}`` (dotted keys kept)."""
    flat = {}
    for key, value in (options or {}).items():
        if isinstance(value, dict) and value:
            flat.update(flatten_options(value, f'{prefix}{key}.'))
        else:
            flat[f'{prefix}{key}'] = value
    return flat


def format_option(value) -> str:
    """A value as mmengine's ``DictAction`` parses it back."""
    if isinstance(value, (list, tuple)):
        inner = ','.join(format_option(v) for v in value)
        return f'[{inner}]' if isinstance(value, list) else f'({inner})'
    if isinstance(value, dict):
        raise TypeError(f'a dict inside a list cannot be a --cfg-options '
                        f'value: {value!r}')
    return value if isinstance(value, str) else repr(value)


def option_args(*options: Dict[str, object]) -> List[str]:
    """``key=value`` arguments of flat option dicts, later ones winning."""
    merged = {}
    for opts in options:
        merged.update(opts)
    return [f'{k}={format_option(v)}' for k, v in merged.items()]


def _find_config(path, where: str, study_path: Path) -> Path:
    if not isinstance(path, str):
        raise StudyError(f'{study_path}: {where}: config must be a path, got '
                         f'{path!r}')
    for base in (Path.cwd(), MIM):
        found = base / path
        if found.is_file():
            return found.resolve()
    raise StudyError(f'{study_path}: {where}: config file not found: {path} '
                     f'(looked in {Path.cwd()} and {MIM})')


def _check_keys(entry, allowed, where: str, study_path: Path) -> None:
    unknown = [k for k in entry if k not in allowed]
    if unknown:
        raise StudyError(f'{study_path}: {where}: unknown key(s) '
                         f'{", ".join(map(repr, unknown))} (allowed: '
                         f'{", ".join(allowed)})')


def _options(entry, where: str, study_path: Path) -> Dict[str, object]:
    options = entry.get('cfg_options') or {}
    if not isinstance(options, dict):
        raise StudyError(f'{study_path}: {where}.cfg_options must be a dict, '
                         f'got {options!r}')
    flat = flatten_options(options)
    try:
        option_args(flat)
    except TypeError as err:
        raise StudyError(f'{study_path}: {where}.cfg_options: {err}') from err
    return flat


def _table(cfg, key: str, study_path: Path) -> dict:
    table = cfg.get(key)
    if not isinstance(table, dict) or not table:
        raise StudyError(f'{study_path}: `{key}` must be a non-empty dict '
                         f'name -> entry, got {table!r}')
    for name in table:
        if not NAME.match(str(name)):
            raise StudyError(f'{study_path}: {key} name {name!r}: use '
                             'letters, digits and . _ + - (it names a folder)')
    return table


def _method(name, entry, study_path: Path) -> Method:
    where = f'pretrain[{name!r}]'
    if entry is None or isinstance(entry, str):
        entry = dict(config=entry)
    if not isinstance(entry, dict):
        raise StudyError(f'{study_path}: {where} must be None, a config path '
                         f'or a dict, got {entry!r}')
    _check_keys(entry, METHOD_KEYS, where, study_path)
    config = entry.get('config')
    if config is not None:
        config = _find_config(config, where, study_path)
    checkpoints = entry.get('checkpoints') or ()
    if checkpoints:
        if config is None:
            raise StudyError(f'{study_path}: {where}: checkpoints need a '
                             'pre-training config (random initialisation '
                             'has none)')
        if (not isinstance(checkpoints, (list, tuple)) or not all(
                isinstance(e, int) and not isinstance(e, bool) and e > 0
                for e in checkpoints)
                or len(set(checkpoints)) != len(checkpoints)):
            raise StudyError(f'{study_path}: {where}.checkpoints must be '
                             f'distinct positive epochs, got {checkpoints!r}')
    start_from = entry.get('start_from')
    if start_from is not None and (config is None
                                   or not isinstance(start_from, str)):
        raise StudyError(f'{study_path}: {where}.start_from must be the name '
                         'of a method, and needs a pre-training config, got '
                         f'{start_from!r}')
    return Method(name, config, _options(entry, where, study_path),
                  tuple(sorted(checkpoints)), start_from)


def _check_chain(methods: List[Method], study_path: Path) -> None:
    """Each ``start_from`` names a method listed before it (so the grid
    runs it first, and no chain loops) that is pre-trained."""
    earlier = {}
    for method in methods:
        upstream = method.start_from
        if upstream is not None and earlier.get(upstream) is None:
            why = ('is random initialisation (no encoder to start from)'
                   if upstream in earlier else 'is not a method listed '
                   'before it')
            raise StudyError(f'{study_path}: pretrain[{method.name!r}]'
                             f'.start_from: {upstream!r} {why}')
        earlier[method.name] = method.config


def _check_checkpoints(method: Method, study_path: Path) -> None:
    """Refuse checkpoints that the method's run would not save (module
    docstring: the CheckpointHook's rule)."""
    where = f'{study_path}: pretrain[{method.name!r}].checkpoints'
    options = {k: v for k, v in method.cfg_options.items()
               if k not in KEEP_CHECKPOINTS}  # the study's own: no hook yet
    try:
        cfg = Config.fromfile(str(method.config))
        cfg.merge_from_dict(options)
    except Exception as err:
        raise StudyError(f'{where}: cannot read {method.config} with its '
                         f'cfg_options: {err}') from err
    train = cfg.get('train_cfg') or {}
    max_epochs = train.get('max_epochs')
    if (not isinstance(max_epochs, int) or not train.get('by_epoch', True)
            or train.get('type', 'EpochBasedTrainLoop')
            != 'EpochBasedTrainLoop'):
        raise StudyError(f'{where}: checkpoints are epochs, but the run is '
                         'not epoch-based (train_cfg: an EpochBasedTrainLoop '
                         'with max_epochs)')
    late = [e for e in method.checkpoints if e > max_epochs]
    if late:
        raise StudyError(f'{where}: {late} after the last epoch '
                         f'({max_epochs})')
    hook = (cfg.get('default_hooks') or {}).get('checkpoint') or {}
    if 'type' not in hook:
        raise StudyError(f'{where}: the config has no '
                         'default_hooks.checkpoint (a CheckpointHook)')
    if not hook.get('by_epoch', True) or hook.get('filename_tmpl'):
        raise StudyError(f'{where}: default_hooks.checkpoint must save by '
                         'epoch under its default names (epoch_{}.pth)')
    interval = hook.get('interval', -1)
    begin = hook.get('save_begin', 0)
    last = max_epochs if hook.get('save_last', True) else None
    unsaved = [e for e in method.checkpoints if e != last and not (
        interval > 0 and e >= begin and (e - begin) % interval == 0)]
    if unsaved:
        raise StudyError(
            f'{where}: epochs {unsaved} are not saved: '
            f'default_hooks.checkpoint.interval={interval} '
            f'(save_begin={begin}) must divide them; set the interval in '
            "the method's cfg_options, e.g. "
            "{'default_hooks.checkpoint.interval': 5}")


def _task(name, entry, study_path: Path) -> Task:
    where = f'transfer[{name!r}]'
    if not isinstance(entry, dict):
        raise StudyError(f'{study_path}: {where} must be a dict with config '
                         f'and metrics, got {entry!r}')
    _check_keys(entry, TASK_KEYS, where, study_path)
    for key in ('config', 'metrics'):
        if key not in entry:
            raise StudyError(f'{study_path}: {where}: missing key {key!r}')
    metrics = entry['metrics']
    if not isinstance(metrics, dict) or not metrics:
        raise StudyError(f'{study_path}: {where}.metrics must be a non-empty '
                         f'dict metric -> "higher" | "lower", got {metrics!r}')
    for metric, direction in metrics.items():
        if direction not in DIRECTIONS:
            raise StudyError(f'{study_path}: {where}.metrics[{metric!r}] must '
                             f'be "higher" or "lower", got {direction!r}')
    return Task(name, _find_config(entry['config'], where, study_path),
                dict(metrics), _options(entry, where, study_path))


def load_study(path, cfg_options=None, seeds=None) -> Study:
    """Read and check a study file; ``cfg_options`` override its keys (as
    ``--cfg-options`` do a config's), ``seeds`` its seeds."""
    path = Path(path)
    if not path.is_file():
        raise StudyError(f'study file not found: {path}')
    cfg = Config.fromfile(str(path))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    _check_keys([k for k in cfg if not k.startswith('_')], STUDY_KEYS,
                'top level', path)
    for key in ('pretrain_cfg_options', 'transfer_cfg_options'):
        if not isinstance(cfg.get(key) or {}, dict):
            raise StudyError(f'{path}: {key} must be a dict')
    common = {kind: flatten_options(cfg.get(f'{kind}_cfg_options'))
              for kind in ('pretrain', 'transfer')}
    methods = [_method(name, entry, path)
               for name, entry in _table(cfg, 'pretrain', path).items()]
    methods = [m._replace(cfg_options={
        **common['pretrain'], **m.cfg_options,
        **(KEEP_CHECKPOINTS if m.checkpoints else {})}) for m in methods]
    _check_chain(methods, path)
    for method in methods:
        if method.checkpoints:
            _check_checkpoints(method, path)
    tasks = [_task(name, entry, path)
             for name, entry in _table(cfg, 'transfer', path).items()]
    tasks = [t._replace(cfg_options={**common['transfer'], **t.cfg_options})
             for t in tasks]

    seeds = list(cfg.get('seeds', [0]) if seeds is None else seeds)
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool)
                            for s in seeds) or len(set(seeds)) != len(seeds):
        raise StudyError(f'{path}: seeds must be distinct integers, got '
                         f'{seeds!r}')
    names = [m.name for m in methods]
    reference = cfg.get('reference', names[0])
    pairs = [(m, reference) for m in names if m != reference]
    for pair in cfg.get('comparisons', []):
        if (not isinstance(pair, (list, tuple)) or len(pair) != 2
                or any(p not in names for p in pair)):
            raise StudyError(f'{path}: comparisons: {pair!r} is not a pair '
                             f'of pretrain names ({", ".join(names)})')
        if tuple(pair) not in pairs:
            pairs.append(tuple(pair))
    if reference not in names:
        raise StudyError(f'{path}: reference {reference!r} is not a pretrain '
                         f'name ({", ".join(names)})')
    title = cfg.get('title', osp.splitext(path.name)[0])
    return Study(path, title, methods, tasks, seeds, reference, pairs,
                 _data_options(cfg.get('data'), path))


def _data_options(data, path: Path) -> Optional[dict]:
    """The study file's ``data`` as ``dict(seed=..., options=...)`` with
    every option of ``GenerateOptions`` filled in (None without ``data``)."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise StudyError(f'{path}: data must be a dict of SynthScenes '
                         f'options, got {data!r}')
    data = dict(data)
    seed = data.pop('seed', 0)
    try:
        options = GenerateOptions(**data).content_dict()
    except (TypeError, ValueError) as err:
        raise StudyError(f'{path}: data: {err}') from err
    # as the manifest records them (JSON: lists, not tuples)
    return dict(seed=seed, options=json.loads(json.dumps(options)))


def prepare_data(study: Study, work_dir: Path) -> Optional[Path]:
    """Generate the study's SynthScenes set under
    ``work_dir/data/synthscenes`` unless one of the same seed and options is
    there (a stale one is replaced whole: generated aside, then renamed).

    Returns:
        Path | None: The folder the tools run in (``work_dir``), or None
        when the study has no ``data``.
    """
    if study.data is None:
        return None
    root = work_dir / 'data' / 'synthscenes'
    manifest = root / MANIFEST_NAME
    if manifest.is_file():
        made = json.loads(manifest.read_text())
        if (made.get('seed'), made.get('options')) == (
                study.data['seed'], study.data['options']):
            return work_dir
    staging = root.with_name(f'.synthscenes.{os.getpid()}')
    if staging.exists():
        shutil.rmtree(staging)
    generate(staging, seed=study.data['seed'], show_progress=False,
             **study.data['options'])
    if root.exists():
        shutil.rmtree(root)
    staging.rename(root)
    return work_dir


def budget(config: Path, options: Dict[str, object]) -> str:
    """Training length and batch size of ``config`` after ``options``, e.g.
    ``'20 epochs x batch 16'`` or ``'200 iters x batch 4'``."""
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(dict(options))
    train = cfg.get('train_cfg') or {}
    unit = next((u for u in ('epochs', 'iters') if f'max_{u}' in train), None)
    length = '?' if unit is None else f'{train[f"max_{unit}"]} {unit}'
    batch = (cfg.get('train_dataloader') or {}).get('batch_size', '?')
    return f'{length} x batch {batch}'


# --- runs and their results ------------------------------------------------

class Run(NamedTuple):
    """One pre-training (``task`` None) or transfer run of the grid; a
    transfer from one of the method's ``checkpoints`` has its ``epoch``."""
    method: Method
    task: Optional[Task]
    seed: int
    data: Optional[dict] = None  # the study's data (tools run in WORK_DIR)
    epoch: Optional[int] = None  # None: from the final checkpoint

    def __hash__(self):  # the entries hold dicts; a run is its names + seed
        return hash((self.method.name, self.task and self.task.name,
                     self.seed, self.epoch))

    @property
    def label(self) -> str:
        if self.task is None:
            return f'pretrain {self.method.name} seed {self.seed}'
        epoch = '' if self.epoch is None else f' epoch {self.epoch}'
        return f'{self.task.name} <- {self.method.name}{epoch} seed ' \
            f'{self.seed}'

    def directory(self, work_dir: Path) -> Path:
        if self.task is None:
            return pretrain_folder(work_dir, self.method.name, self.seed)
        folder = work_dir / 'transfer' / self.task.name / self.method.name
        if self.epoch is not None:
            folder = folder / f'epoch{self.epoch}'
        return folder / self.seed_dir

    @property
    def seed_dir(self) -> str:
        return f'seed{self.seed}'

    @property
    def upstream(self) -> Optional[str]:
        """The method whose encoder the run starts from (None: random
        initialisation, or a pre-training from its config alone)."""
        if self.task is None:
            return self.method.start_from
        return self.method.name if self.method.config is not None else None


def pretrain_folder(work_dir: Path, method: str, seed: int) -> Path:
    return work_dir / 'pretrain' / method / f'seed{seed}'


def grid(study: Study) -> List[Run]:
    """Every run, in running order: per seed, each method's pre-training
    (none for random initialisation) followed by its transfers (per task,
    one from each of its checkpoints, or one from the final checkpoint)."""
    runs = []
    for seed in study.seeds:
        for method in study.methods:
            if method.config is not None:
                runs.append(Run(method, None, seed, study.data))
            runs += [Run(method, task, seed, study.data, epoch)
                     for task in study.tasks
                     for epoch in method.checkpoints or (None, )]
    return runs


def read_result(run_dir: Path) -> Optional[dict]:
    path = run_dir / RESULT
    return json.loads(path.read_text()) if path.is_file() else None


def upstream_dir(work_dir: Path, run: Run) -> Path:
    """The pre-training run whose encoder ``run`` starts from."""
    return pretrain_folder(work_dir, run.upstream, run.seed)


def _upstream(run: Run, work_dir: Path):
    """``dict(checkpoint, run_id)`` of the encoder ``run`` starts from
    (``{}``: none; ``None``: its result is missing)."""
    if run.upstream is None:
        return {}
    result = read_result(upstream_dir(work_dir, run))
    if result is None:
        return None
    checkpoint = result['checkpoint']
    if run.epoch is not None:  # saved beside the last one
        checkpoint = str(Path(checkpoint).parent / f'epoch_{run.epoch}.pth')
    return dict(checkpoint=checkpoint, run_id=result['run_id'])


def inputs(run: Run, work_dir: Path) -> Optional[dict]:
    """What a run's result depends on: its tool arguments, the study's
    data (when it has its own) and, for a run that starts from a
    pre-trained encoder (a transfer, or a ``start_from`` pre-training), the
    pre-training result it starts from (``None`` while that result is
    missing)."""
    seed = [f'randomness.seed={run.seed}']
    data = {} if run.data is None else dict(data=run.data)
    upstream = _upstream(run, work_dir)
    if upstream is None:
        return None
    checkpoint = checkpoint_options(upstream.get('checkpoint'))
    if run.task is None:
        start = dict(start=upstream) if upstream else {}
        return dict(train=[str(run.method.config), '--cfg-options',
                           *option_args(run.method.cfg_options), *seed,
                           *checkpoint], **start, **data)
    options = [*option_args(run.task.cfg_options), *seed]
    return dict(train=[str(run.task.config), '--cfg-options', *options,
                       *checkpoint],
                test=[str(run.task.config), '--cfg-options', *options],
                pretrain=upstream or None, **data)


def current_result(run: Run, work_dir: Path) -> Optional[dict]:
    """The run's result if it exists and was made from today's inputs."""
    result = read_result(run.directory(work_dir))
    if result is None or result.get('inputs') != inputs(run, work_dir):
        return None
    return result


def _step(run: Run, script: str, args: List[str], log: Path,
          cwd: Optional[Path]) -> float:
    code, seconds = run_tool(script, args, log, cwd=cwd)
    if code != 0:
        tail = ''.join(log.read_text(errors='replace').splitlines(True)[-15:])
        raise StudyError(f'{run.label}: tools/{script} failed (exit {code});'
                         f' see {log}\n--- last lines of {log.name} ---\n'
                         f'{tail}')
    return seconds


def execute(run: Run, work_dir: Path) -> dict:
    """Run one grid entry from scratch (its folder is emptied first) and
    write its result file atomically; returns the result. With the study's
    own data the tools run in ``work_dir`` (see :func:`prepare_data`)."""
    run_dir = run.directory(work_dir)
    cwd = None if run.data is None else work_dir
    expected = inputs(run, work_dir)
    if expected is None:
        raise StudyError(f'{run.label}: the pre-training result '
                         f'{upstream_dir(work_dir, run) / RESULT} is missing')
    pretrained = (expected.get('pretrain') or expected.get('start')
                  or {}).get('checkpoint')
    if pretrained and not osp.isfile(pretrained):
        raise StudyError(f'{run.label}: the pre-trained checkpoint '
                         f'{pretrained} is gone; delete '
                         f'{upstream_dir(work_dir, run) / RESULT} to '
                         'pre-train again')
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    train_dir = run_dir if run.task is None else run_dir / 'train'
    train_args = expected['train']
    seconds = dict(train=_step(run, 'train.py', [
        train_args[0], '--work-dir', train_dir, *train_args[1:]],
        run_dir / 'train.log', cwd))
    result = dict(method=run.method.name, seed=run.seed,
                  checkpoint=last_checkpoint(train_dir), inputs=expected)
    if run.task is not None:
        test_args = expected['test']
        seconds['test'] = _step(run, 'test.py', [
            test_args[0], result['checkpoint'], '--work-dir',
            run_dir / 'test', *test_args[1:]], run_dir / 'test.log', cwd)
        result.update(task=run.task.name,
                      metrics=test_metrics(run_dir / 'test'))
        if run.epoch is not None:
            result.update(epoch=run.epoch)
    result.update(wall_s=seconds, run_id=uuid.uuid4().hex,
                  finished=time.strftime('%Y-%m-%dT%H:%M:%S'))
    write_json(run_dir / RESULT, result)
    return result


def _run_values(study: Study, results: Dict[Run, dict]):
    """``(run, metric, value)`` of every transfer result; a metric a result
    lacks is a study-file error."""
    for run, result in results.items():
        if run.task is None:
            continue
        for metric in run.task.metrics:
            if metric not in result['metrics']:
                raise StudyError(
                    f'{study.path}: transfer[{run.task.name!r}].metrics: '
                    f'{metric!r} is not a test metric of {run.label} (it has '
                    f'{", ".join(sorted(result["metrics"]))})')
            value = float(result['metrics'][metric])
            if not math.isfinite(value):
                raise StudyError(f'{run.label}: {metric} is {value} (see '
                                 f'{run.directory(Path())})')
            yield run, metric, value


def metric_values(study: Study, results: Dict[Run, dict]
                  ) -> Dict[Tuple[str, str, str], Dict[int, float]]:
    """``(method, task, metric) -> {seed: value}`` of the transfer results
    (a method with checkpoints: those from its last listed epoch)."""
    values = {}
    for run, metric, value in _run_values(study, results):
        if run.epoch is None or run.epoch == run.method.checkpoints[-1]:
            key = (run.method.name, run.task.name, metric)
            values.setdefault(key, {})[run.seed] = value
    return values


def curve_values(study: Study, results: Dict[Run, dict]
                 ) -> Dict[Tuple[str, str, str], Dict[int, Dict[int, float]]]:
    """``(method, task, metric) -> {epoch: {seed: value}}`` of the transfers
    from the methods' checkpoints (none for methods without)."""
    curves = {}
    for run, metric, value in _run_values(study, results):
        if run.epoch is not None:
            key = (run.method.name, run.task.name, metric)
            curves.setdefault(key, {}).setdefault(run.epoch, {})[run.seed] = \
                value
    return curves


def relative(path, start=None) -> str:
    """``path`` relative to ``start`` (default: the current folder) when it
    lies below it, else as it is."""
    path, start = Path(path).resolve(), Path(start or os.getcwd()).resolve()
    try:
        return str(path.relative_to(start))
    except ValueError:
        return str(path)

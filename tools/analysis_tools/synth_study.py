"""A seeded study: {pre-training config x transfer config x seed}, aggregated.

    python tools/analysis_tools/synth_study.py STUDY_FILE
        [--work-dir work_dirs/study] [--out docs/study.md] [--seeds 0 1 2]
        [--only-aggregate] [--cfg-options key=value ...]

The grid is declared in a study file (see ``sgmim.studies.study``, e.g.
``configs/synth/studies/sgmim_vs_simmim.py``). For every seed S each method is
pre-trained with ``tools/train.py ... randomness.seed=S`` (none for random
initialisation), and each transfer task is fine-tuned from that seed's encoder
(``model.backbone.init_cfg.checkpoint``) with seed S and tested with
``tools/test.py``; every step is an ordinary tool subprocess whose log stays
under ``WORK_DIR/{pretrain,transfer}/...``.

Resumable: each run writes its ``result.json`` atomically once it is done; a
run whose result exists, made from the same arguments (and the same
pre-training result), is not run again. A run without one starts afresh.

The report (``--out``, default ``docs/study.md``) gives the grid, this command,
mean ± sample std [95 % t-interval] over seeds per (method, task, metric), the
paired differences against the reference method (and the study's extra
comparisons) with their intervals, the per-seed values and wall times, and a
bar chart with the intervals as error bars (``--out`` with ``.png``).

A method with ``start_from`` (see ``sgmim.studies.study``) is pre-trained
from another method's encoder, seed by seed: chained stages such as MeSa's
(masked, then geometric, then supervised) are three methods of one study.
Methods with ``checkpoints`` are transferred
from each listed epoch of their pre-training run; the tables above use their
last listed epoch. A comparison of two such methods adds a *Convergence*
section: per task and metric, both methods' scores at each common epoch (and
their paired difference), MTO's RAUC per seed and its mean [95 % t-interval],
and the epochs each seed's candidate takes to reach that seed's baseline's
final score, measured and interpolated (``study_stats.convergence``); and a
figure of the seed-mean curves (``--out`` with ``_curves.png``).
``--cfg-options`` override keys of the study file, e.g.
``seeds=[0] transfer_cfg_options.train_cfg.max_iters=20``. The report, its
figure and ``WORK_DIR/summary.json`` are written atomically.
"""
import argparse
import io
import math
import os
import shlex
import sys
import time
from pathlib import Path
from typing import NamedTuple

import matplotlib
import numpy as np
from mmengine.config import DictAction
from tqdm import tqdm

from sgmim.studies import study as st
from sgmim.studies.study_stats import (Summary, convergence,
                                       paired_difference, summarize, verdict)
from sgmim.datasets.synthscenes.files import atomic_write_bytes

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

ARROW = dict(higher='↑', lower='↓')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('study', help='study file (Python, mmengine Config)')
    parser.add_argument('--work-dir', default='work_dirs/study',
                        help='runs, logs and results')
    parser.add_argument('--out', default='docs/study.md',
                        help='the markdown report (its figure: .png beside)')
    parser.add_argument('--seeds', type=int, nargs='+',
                        help="replace the study file's seeds")
    parser.add_argument('--only-aggregate', action='store_true',
                        help='run nothing; report the results already there')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override keys of the study file')
    parser.add_argument(
        '--torch-threads', type=int,
        help='OMP_NUM_THREADS / MKL_NUM_THREADS of every run: on a small '
        'CPU, torch threads beside the dataloader workers oversubscribe the '
        'cores (2 cores, 2 workers: 1 thread trains the synth configs 2-4x '
        'faster than the default)')
    return parser.parse_args(argv)


def run_grid(runs, work_dir):
    """Run what has no current result; returns (run -> result, counts)."""
    results, counts = {}, dict(ran=0, skipped=0)
    bar = tqdm(runs, desc='study', unit='run', dynamic_ncols=True)
    for i, run in enumerate(bar, 1):
        bar.set_postfix_str(run.label)
        result = st.current_result(run, work_dir)
        if result is not None:
            counts['skipped'] += 1
            bar.write(f'[study] {i}/{len(runs)} {run.label}: skipped (result '
                      'exists)')
        else:
            stale = st.read_result(run.directory(work_dir)) is not None
            result = st.execute(run, work_dir)
            counts['ran'] += 1
            bar.write(f'[study] {i}/{len(runs)} {run.label}: ran in '
                      f'{sum(result["wall_s"].values()):.1f} s'
                      + (' (replaced a stale result)' if stale else ''))
        results[run] = result
    bar.close()
    return results, counts


def decimals(values):
    """2 decimals for metrics in the tens (percentages), else 3."""
    return 2 if max(abs(v) for v in values) >= 10 else 3


def cell(summary, places, signed=False, bold=False):
    """``mean ± std [low, high]``; the mean alone for one seed."""
    sign = '+' if signed else ''
    mean = f'{summary.mean:{sign}.{places}f}'
    mean = f'**{mean}**' if bold else mean
    if math.isnan(summary.half_width):
        return mean
    low, high = summary.interval
    spread = '' if signed else f' ± {summary.std:.{places}f}'
    return f'{mean}{spread} [{low:{sign}.{places}f}, {high:{sign}.{places}f}]'


def table(header, rows):
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join('---' for _ in header) + '|']
    return lines + ['| ' + ' | '.join(map(str, row)) + ' |' for row in rows]


def aggregate(study, values):
    """Summaries per (method, task, metric) and per comparison."""
    summaries = {key: summarize([v[s] for s in sorted(v)])
                 for key, v in values.items()}
    differences = {}
    for method, reference in study.comparisons:
        for task in study.tasks:
            for metric in task.metrics:
                a = values.get((method, task.name, metric))
                b = values.get((reference, task.name, metric))
                if a and b and set(a) & set(b):
                    differences[(method, reference, task.name, metric)] = \
                        paired_difference(a, b)
    return summaries, differences


def convergences(study, curves):
    """``(candidate, baseline, task, metric) -> Convergence`` of each
    comparison whose two methods have curves (checkpoints)."""
    found = {}
    for method, reference in study.comparisons:
        for task in study.tasks:
            for metric, direction in task.metrics.items():
                a = curves.get((method, task.name, metric))
                b = curves.get((reference, task.name, metric))
                measures = a and b and convergence(b, a, direction)
                if measures:
                    found[(method, reference, task.name, metric)] = measures
    return found


def _png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def curves_figure(study, curves, found):
    """One panel per convergence: both methods' mean over the pair's seeds
    at each epoch with its 95 % t-interval as a band, the target (the
    baseline's final mean) dotted and where the candidate's mean curve
    reaches it; returns PNG bytes."""
    cols = min(2, len(found))
    grid_rows = math.ceil(len(found) / cols)
    fig, axes = plt.subplots(grid_rows, cols, squeeze=False,
                             figsize=(4.2 * cols, 3.2 * grid_rows))
    for ax in axes.flat[len(found):]:
        ax.set_visible(False)
    for ax, (key, c) in zip(axes.flat, found.items()):
        method, reference, task, metric = key
        for i, name in enumerate((reference, method)):
            curve = curves[(name, task, metric)]
            stats = [summarize([curve[e][s] for s in c.seeds])
                     for e in c.epochs]
            mean = [x.mean for x in stats]
            ax.plot(c.epochs, mean, marker='o', ms=3, color=f'C{i}',
                    label=name)
            if len(c.seeds) > 1:
                ax.fill_between(c.epochs, [x.interval[0] for x in stats],
                                [x.interval[1] for x in stats],
                                color=f'C{i}', alpha=0.2)
        ax.axhline(c.mean.target, color='black', linestyle=':',
                   linewidth=0.8)
        if c.mean.crossed is not None:
            ax.plot([c.mean.crossed], [c.mean.target], 'kx', ms=7)
        rauc = '—' if c.mean.rauc is None else f'{c.mean.rauc:.3f}'
        ax.set_title(f'{method} vs {reference}, {task}: {metric}\n'
                     f'RAUC of the mean curves {rauc}', fontsize=9)
        ax.set_xlabel('pre-training epoch', fontsize=8)
        ax.tick_params(labelsize=8)
        ax.legend(fontsize=7)
    fig.suptitle(f'{study.title}: mean over seeds, 95 % t-interval; dotted: '
                 'the target', fontsize=9)
    fig.tight_layout()
    return _png(fig)


def figure(study, values, summaries):
    """Bar per method (mean, 95 % interval as error bar, seeds as dots), one
    panel per task and metric; returns PNG bytes."""
    panels = [(t, m) for t in study.tasks for m in t.metrics]
    cols = min(3, len(panels))
    grid_rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(
        grid_rows, cols, squeeze=False,
        figsize=(max(4.0, (0.9 * len(study.methods) + 0.8) * cols),
                 3.2 * grid_rows))
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    names = [m.name for m in study.methods]
    for ax, (task, metric) in zip(axes.flat, panels):
        for x, name in enumerate(names):
            s = summaries.get((name, task.name, metric))
            if s is None:
                continue
            err = None if math.isnan(s.half_width) else s.half_width
            ax.bar(x, s.mean, yerr=err, capsize=4, color=f'C{x}', alpha=0.8)
            seeds = values[(name, task.name, metric)]
            ax.plot([x + 0.25] * len(seeds), list(seeds.values()), 'k.',
                    ms=4)
        ax.set_xticks(range(len(names)), names, rotation=30, ha='right')
        ax.set_title(f'{task.name}: {metric} {ARROW[task.metrics[metric]]}',
                     fontsize=9)
        ax.tick_params(labelsize=8)
    fig.suptitle(f'{study.title}: mean over seeds, 95 % t-interval',
                 fontsize=9)
    fig.tight_layout()
    return _png(fig)


class Report(NamedTuple):
    """What the markdown is made of."""
    study: st.Study
    command: str
    work_dir: Path
    budgets: dict
    values: dict       # (method, task, metric) -> {seed: value}
    summaries: dict    # (method, task, metric) -> Summary
    differences: dict  # (method, reference, task, metric) -> Summary
    results: dict      # Run -> result
    missing: list      # Runs without a current result
    curves: dict = {}       # (method, task, metric) -> {epoch: {seed: v}}
    convergence: dict = {}  # (method, reference, task, metric) -> ...

    def places(self, task, metric):
        return decimals([s.mean for (_, t, m), s in self.summaries.items()
                         if (t, m) == (task, metric)] or [0])


def options_text(options):
    return ' '.join(f'`{o}`' for o in st.option_args(options))


def grid_section(r):
    study = r.study
    lines = ['## Grid', '',
             f'Study file `{st.relative(study.path)}`; seeds '
             f'{", ".join(map(str, study.seeds))}. Seed S sets '
             '`randomness.seed=S` of the pre-training run and of every '
             "transfer run, which starts from seed S's pre-trained encoder "
             f'(`{st.checkpoint_options("PATH")[0]}`).', '']
    lines += table(['pre-training', 'config', 'budget', 'cfg_options'], [
        (m.name, f'`{st.relative(m.config)}`' if m.config else
         '— (random initialisation)', r.budgets.get(m.name, '—'),
         options_text(m.cfg_options)) for m in study.methods])
    chained = [m for m in study.methods if m.start_from]
    if chained:
        lines += ['', 'Pre-trainings that start from another method\'s '
                  "encoder (seed S from that method's seed S final "
                  'checkpoint, by the same key): ' + '; '.join(
                      f'{m.name} from {m.start_from}' for m in chained) + '.']
    checkpointed = [m for m in study.methods if m.checkpoints]
    if checkpointed:
        lines += ['', 'Transferred from checkpoints of the pre-training run '
                  '(every task from each; the tables use the last one): ' +
                  '; '.join(f'{m.name} at epochs '
                            f'{", ".join(map(str, m.checkpoints))}'
                            for m in checkpointed) + '.']
    lines += [''] + table(
        ['transfer', 'config', 'budget', 'metrics', 'cfg_options'],
        [(t.name, f'`{st.relative(t.config)}`', r.budgets[t.name],
          ', '.join(f'{k} {ARROW[d]}' for k, d in t.metrics.items()),
          options_text(t.cfg_options)) for t in study.tasks])
    if study.data is not None:
        opts = study.data['options']
        counts = [f'{opts["num_pretrain"]} pre-training images']
        if 'imagenet' in opts['subsets']:  # also classification train / val
            counts[0] += f' ({opts["num_pretrain_val"]} ImageNet-layout val)'
        if set(opts['subsets']) - {'imagenet'}:
            counts.append(f'{opts["num_train"]} training and '
                          f'{opts["num_val"]} test images per other task')
        if 'texture_space' in opts:  # recorded only when not the default
            counts.append(f'albedo patterns in {opts["texture_space"]} '
                          'space')
        lines += ['', f'Data: SynthScenes generated for the study (seed '
                  f'{study.data["seed"]}, subsets '
                  f'{", ".join(opts["subsets"])}): {", ".join(counts)}; '
                  'every tool ran in the work directory.']
    if r.missing:
        lines += ['', f'**Missing runs ({len(r.missing)})**, left out of the '
                  'tables: ' + ', '.join(x.label for x in r.missing) + '.']
    return lines + ['']


def task_table(task, first, rows, prefix=''):
    """A task's heading and table: ``first``, n, then one column a metric."""
    return [f'### {task.name}', ''] + table(
        [first, 'n'] + [f'{prefix}{m} {ARROW[d]}'
                        for m, d in task.metrics.items()], rows) + ['']


def results_section(r):
    lines = ['## Results', '',
             'Tested metrics: mean ± sample std [95 % t-interval] over the '
             'seeds (n); the best mean of a column in bold.', '']
    names = [m.name for m in r.study.methods]
    for task in r.study.tasks:
        rows = []
        best = {}
        for metric, direction in task.metrics.items():
            means = [r.summaries[(n, task.name, metric)].mean for n in names
                     if (n, task.name, metric) in r.summaries]
            best[metric] = (max if direction == 'higher' else min)(means)
        for name in names:
            cells = [r.summaries.get((name, task.name, m))
                     for m in task.metrics]
            if any(cells):
                rows.append([name, max(c.n for c in cells if c)] + [
                    cell(c, r.places(task.name, m), bold=c.mean == best[m])
                    if c else '—' for c, m in zip(cells, task.metrics)])
        lines += task_table(task, 'pre-training', rows)
    return lines


def differences_section(r):
    lines = ['## Paired differences', '',
             'Δ = method − reference, paired by seed: mean [95 % t-interval];'
             ' *better* / *worse* when the interval excludes 0 (by the '
             "metric's direction), ~ when it holds 0.", '']
    for task in r.study.tasks:
        rows = []
        for method, reference in r.study.comparisons:
            diffs = [r.differences.get((method, reference, task.name, m))
                     for m in task.metrics]
            if any(diffs):
                rows.append([f'{method} − {reference}',
                             max(d.n for d in diffs if d)] + [
                    f'{cell(d, r.places(task.name, m), signed=True)} '
                    f'{verdict(d, direction)}'.strip() if d else '—'
                    for d, (m, direction) in zip(diffs,
                                                 task.metrics.items())])
        lines += task_table(task, 'comparison', rows, prefix='Δ ')
    return lines


def epoch_text(epoch):
    return '—' if epoch is None else str(epoch)


def convergence_section(r):
    lines = [
        '## Convergence: RAUC and epochs to target', '',
        "MTO's measures, per seed s (candidate and baseline pre-trained "
        'with seed s, each transferred from its checkpoints at the common '
        'epochs E1 < … < E2 below; curves piecewise linear between them):',
        '',
        '- RAUC = ∫ (S2(E) − S1(E1)) dE / ∫ (S1(E) − S1(E1)) dE over '
        '[E1, E2] (trapezoid rule), S1 the baseline, S2 the candidate; '
        'above 1 the candidate learns faster (the paper: 1.19–1.47). Mean '
        '[95 % t-interval] over the seeds; *faster* / *slower* when the '
        'interval excludes 1.',
        "- Epochs to target: the target is the seed's baseline at E2, "
        'S1(E2), which the baseline takes E2 epochs to reach; the '
        "candidate's count is the first checkpoint epoch at which S2 ≥ the "
        'target (≤ for a ↓ metric), and interpolated, '
        'E* = E_(i−1) + (target − S2(E_(i−1))) / (S2(E_i) − S2(E_(i−1))) · '
        '(E_i − E_(i−1)) between that epoch E_i and the one before; ratio '
        'E* / E2 (the paper: about 0.5). Epochs count from the start of '
        'pre-training.',
        '- Seed-mean curves: the same measures of the mean over the seeds '
        'at each epoch (not the mean of the per-seed values).', '']
    faster = {'better': 'faster', 'worse': 'slower', '~': '~', '': ''}
    for (method, reference, task_name, metric), c in r.convergence.items():
        task = next(t for t in r.study.tasks if t.name == task_name)
        direction = task.metrics[metric]
        places = r.places(task_name, metric)
        a = r.curves[(method, task_name, metric)]
        b = r.curves[(reference, task_name, metric)]
        rows = []
        for e in c.epochs:
            cb = summarize([b[e][s] for s in c.seeds])
            ca = summarize([a[e][s] for s in c.seeds])
            d = paired_difference({s: a[e][s] for s in c.seeds},
                                  {s: b[e][s] for s in c.seeds})
            rows.append([e, len(c.seeds), cell(cb, places), cell(ca, places),
                         f'{cell(d, places, signed=True)} '
                         f'{verdict(d, direction)}'.strip()])
        lines += [f'### {method} vs {reference}: {task_name} {metric} '
                  f'{ARROW[direction]}', ''] + table(
            ['epoch', 'n', reference, method, f'Δ {method} − {reference}'],
            rows) + ['']

        def measures_row(label, m):
            return [label, '—' if m.rauc is None else f'{m.rauc:.3f}',
                    f'{m.target:.{places}f}',
                    'not reached' if m.reached is None else f'{m.reached:g}',
                    'not reached' if m.crossed is None else
                    f'{m.crossed:.2f}',
                    '—' if m.crossed is None else
                    f'{m.crossed / c.epochs[-1]:.3f}']

        rows = [measures_row(f'seed {s}', m) for s, m in c.per_seed.items()]
        n = len(c.seeds)
        reached = [m.reached for m in c.per_seed.values()
                   if m.reached is not None]
        if c.rauc is None:
            rauc = '— (flat baselines)'
        else:
            shifted = Summary(c.rauc.n, c.rauc.mean - 1, c.rauc.std,
                              c.rauc.half_width)
            rauc = (f'{cell(c.rauc, 3)} '
                    f'{faster[verdict(shifted, "higher")]}').strip()
        rows.append([
            f'mean over {n} seed{"s" if n > 1 else ""}', rauc,
            f'{np.mean([m.target for m in c.per_seed.values()]):.{places}f}',
            cell(summarize(reached), 2) if len(reached) == n else
            f'{len(reached)}/{n} reached',
            f'{len(reached)}/{n} reached' if c.crossed is None else
            cell(c.crossed, 2),
            '—' if c.crossed is None else
            f'{c.crossed.mean / c.epochs[-1]:.3f}'])
        rows.append(measures_row('seed-mean curves', c.mean))
        lines += table(['', 'RAUC', f'target ({reference} at {c.epochs[-1]})',
                        f'epochs to target ({reference}: {c.epochs[-1]})',
                        'interpolated', 'ratio'], rows) + ['']
    return lines


def wall(result):
    return sum(result['wall_s'].values())


def seeds_section(r):
    lines = ['## Per-seed values', '']
    names = [m.name for m in r.study.methods]
    for task in r.study.tasks:
        runs = sorted((x for x in r.results if x.task == task),
                      key=lambda x: (names.index(x.method.name),
                                     x.epoch or 0, x.seed))
        epochs = any(x.epoch is not None for x in runs)  # a column then
        rows = [[x.method.name, *([epoch_text(x.epoch)] if epochs else []),
                 x.seed] + [
            f'{float(r.results[x]["metrics"][m]):.4f}' for m in task.metrics]
            + [f'{wall(r.results[x]):.1f}'] for x in runs]
        lines += [f'### {task.name}', ''] + table(
            ['pre-training', *(['epoch'] if epochs else []), 'seed',
             *task.metrics, 'wall (s)'], rows) + ['']
    return lines


def wall_section(r, elapsed, counts, only_aggregate):
    groups = {}
    for run, result in r.results.items():
        epoch = '' if run.epoch is None else f' epoch {run.epoch}'
        name = (f'pre-train {run.method.name}' if run.task is None else
                f'{run.task.name} <- {run.method.name}{epoch} (fine-tune + '
                'test)')
        groups.setdefault(name, []).append(wall(result))
    total = sum(map(sum, groups.values()))
    lines = ['## Wall time', ''] + table(
        ['runs', 'seeds', 'mean per seed (s)', 'sum (s)'],
        [(name, len(w), f'{sum(w) / len(w):.1f}', f'{sum(w):.1f}')
         for name, w in groups.items()])
    return lines + [
        '', f'Sum over the runs: {total:.0f} s ({total / 3600:.2f} h); '
        f'runs and logs under `{st.relative(r.work_dir)}`. This invocation: '
        f'{elapsed:.0f} s, {counts["ran"]} run(s) made, {counts["skipped"]} '
        'reused' + (' (`--only-aggregate`)' if only_aggregate else '') + '.',
        '']


def markdown(r, png, elapsed, counts, only_aggregate):
    """The whole report."""
    lines = [f'# {r.study.title}', '',
             '<!-- Written by tools/analysis_tools/synth_study.py; do not '
             'edit. -->', '',
             'Produced by:', '', '```',
             r.command, '```', '']
    lines += grid_section(r) + results_section(r) + differences_section(r)
    if r.convergence:
        lines += convergence_section(r)
    lines += seeds_section(r) + wall_section(r, elapsed, counts,
                                             only_aggregate)
    lines += ['## Figure', '', f'![{r.study.title}]({png})', '',
              'Bars: mean over seeds; error bars: 95 % t-interval; dots: the '
              'seeds.', '']
    if r.convergence:
        curves_png = curves_path(Path(png)).as_posix()
        lines += [f'![{r.study.title}: convergence]({curves_png})', '',
                  'Curves: mean over the seeds of each comparison at each '
                  'checkpoint epoch; bands: 95 % t-interval; dotted: the '
                  "target (the baseline's final mean); cross: where the "
                  "candidate's mean curve reaches it.", '']
    return '\n'.join(lines)


def curves_path(png: Path) -> Path:
    """The convergence figure beside the bar chart ``png``."""
    return png.with_name(f'{png.stem}_curves.png')


def summary_json(study, values, summaries, differences, curves=None,
                 found=None):
    def entry(s):
        return None if s is None else dict(n=s.n, mean=s.mean, std=s.std,
                                           half_width=s.half_width)
    data = dict(
        study=str(study.path), seeds=study.seeds,
        values=[dict(method=k[0], task=k[1], metric=k[2],
                     seeds={str(s): x for s, x in v.items()})
                for k, v in values.items()],
        summaries=[dict(method=k[0], task=k[1], metric=k[2], **entry(s))
                   for k, s in summaries.items()],
        differences=[dict(method=k[0], reference=k[1], task=k[2],
                          metric=k[3], **entry(s))
                     for k, s in differences.items()])
    if curves:  # only studies with checkpoints
        data['curves'] = [
            dict(method=k[0], task=k[1], metric=k[2], epoch=e,
                 seeds={str(s): x for s, x in v.items()})
            for k, by_epoch in curves.items() for e, v in by_epoch.items()]
        data['convergence'] = [
            dict(method=k[0], reference=k[1], task=k[2], metric=k[3],
                 epochs=c.epochs, seeds=c.seeds,
                 per_seed={str(s): m._asdict() for s, m in c.per_seed.items()},
                 rauc=entry(c.rauc), crossed=entry(c.crossed),
                 mean_curves=c.mean._asdict())
            for k, c in (found or {}).items()]
    return data


def load(args):
    """The study and the budget of each config (which also checks that
    every config and its options resolve before anything runs)."""
    study = st.load_study(args.study, args.cfg_options, args.seeds)
    budgets = {}
    for entry in [*study.methods, *study.tasks]:
        if entry.config is None:
            continue
        try:
            budgets[entry.name] = st.budget(entry.config, entry.cfg_options)
        except Exception as err:
            raise st.StudyError(f'{study.path}: {entry.name!r}: config '
                                f'{entry.config} with its cfg_options: '
                                f'{err}') from err
    return study, budgets


def collect(study, runs, work_dir, only_aggregate):
    """Results of the runs (made here unless ``only_aggregate``), the runs
    without one, their metric values and the counts."""
    if only_aggregate:
        results = {r: st.current_result(r, work_dir) for r in runs}
        counts = dict(ran=0, skipped=sum(map(bool, results.values())))
    else:
        results, counts = run_grid(runs, work_dir)
    missing = [r for r in runs if results.get(r) is None]
    for run in missing:
        print(f'[study] missing: {run.label} (no current '
              f'{run.directory(work_dir) / st.RESULT})', file=sys.stderr)
    results = {r: res for r, res in results.items() if res is not None}
    values = st.metric_values(study, results)
    if not values:
        raise st.StudyError(f'no transfer results under {work_dir}')
    return results, missing, values, counts


def main(argv=None):
    args = parse_args(argv)
    if args.torch_threads is not None:
        if args.torch_threads < 1:
            sys.exit(f'[study] --torch-threads must be >= 1, got '
                     f'{args.torch_threads}')
        for name in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
            os.environ[name] = str(args.torch_threads)  # the runs inherit it
    start = time.time()
    work_dir = Path(args.work_dir).resolve()
    out = Path(args.out)
    png = out.with_suffix('.png')
    try:
        study, budgets = load(args)
        if study.data is not None and not args.only_aggregate:
            print(f'[study] SynthScenes for the study under {work_dir}/data '
                  '(generated once per seed and options)')
            st.prepare_data(study, work_dir)
        runs = st.grid(study)
        results, missing, values, counts = collect(study, runs, work_dir,
                                                   args.only_aggregate)
    except st.StudyError as err:
        sys.exit(f'[study] {err}')

    summaries, differences = aggregate(study, values)
    curves = st.curve_values(study, results)
    found = convergences(study, curves)
    atomic_write_bytes(str(png), figure(study, values, summaries))
    if found:
        atomic_write_bytes(str(curves_path(png)),
                           curves_figure(study, curves, found))
    command = shlex.join(['python', 'tools/analysis_tools/synth_study.py',
                          *(sys.argv[1:] if argv is None else argv)])
    text = markdown(
        Report(study, command, work_dir, budgets, values, summaries,
               differences, results, missing, curves, found),
        st.relative(png, out.parent), time.time() - start, counts,
        args.only_aggregate)
    atomic_write_bytes(str(out), text.encode())
    st.write_json(work_dir / 'summary.json',
                  summary_json(study, values, summaries, differences, curves,
                               found))
    figures = f'{png}' + (f' and {curves_path(png)}' if found else '')
    print(f'[study] {len(runs)} runs: {counts["ran"]} ran, '
          f'{counts["skipped"]} reused, {len(missing)} missing; wrote {out} '
          f'and {figures}')


if __name__ == '__main__':
    main()

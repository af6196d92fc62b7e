"""RAUC and epochs to target (MTO) of a candidate score-vs-epoch curve
against a baseline's.

    python tools/analysis_tools/rauc_curves.py BASELINE CANDIDATE
        [--metric NAME] [--start E1] [--end E2] [--names NAME1 NAME2]
        [--direction higher|lower] [--out-dir DIR]

RAUC = ∫_{E1}^{E2} (S2(E) − S1(E1)) dE / ∫_{E1}^{E2} (S1(E) − S1(E1)) dE
(``sgmim.analysis.relative_auc.rauc``: trapezoid over the measured epochs,
linear interpolation at E1/E2; defaults: the first and last common epoch).
Each curve is one of

* a CSV file: a header row, then one row per epoch; the first column is the
  epoch, the value is the column ``--metric`` (or the only other column);
* an mmengine work directory of one training run: its evaluation records
  (``<timestamp>/vis_data/scalars.json``, all runs of the folder, a later
  record replacing an earlier one of the same epoch); the epoch is the
  record's ``epoch``, else its ``step``;
* a folder of evaluation runs, one per checkpoint: sub-folders whose names
  end in the epoch (``epoch_100``, ``ep200``, ``300``), each an mmengine work
  directory (e.g. of ``tools/test.py``); the point is the last record of
  the metric there.

``--metric`` names a record key exactly or by its last part
(``top1`` for ``accuracy/top1``). The curves are compared on the epochs both
measured.

Epochs to target (``sgmim.analysis.relative_auc.epochs_to_target``): the
target is the baseline's score at E2, S1(E2) (its final measured epoch by
default), which the baseline takes E2 epochs to reach; the candidate's count
is the first common epoch at which it reaches the target (``>=``, ``<=`` with
``--direction lower``), measured, and interpolated linearly between the two
epochs around the first crossing; the ratio is candidate / E2 (MTO: about
0.5). ``null`` when the candidate never reaches it.

Writes ``rauc.json`` and ``rauc.png`` (both curves, the level S1(E1), the two
areas, the target and where the candidate reaches it).
"""
import argparse
import csv
import glob
import json
import os.path as osp
import re

import numpy as np

from sgmim.analysis.cli import run_main
from sgmim.analysis.outputs import OutputDir
from sgmim.analysis.plotting import rauc_figure
from sgmim.analysis.relative_auc import epochs_to_target, rauc

MEASURE = 'rauc'
EPOCH_DIR = re.compile(r'(\d+)$')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('baseline', help='CSV file or work directory of S1')
    parser.add_argument('candidate', help='CSV file or work directory of S2')
    parser.add_argument('--metric', help='record key or CSV column (needed '
                        'for work directories)')
    parser.add_argument('--start', type=float, help='E1 (default: the first '
                        'common epoch)')
    parser.add_argument('--end', type=float, help='E2 (default: the last '
                        'common epoch)')
    parser.add_argument('--names', nargs=2, metavar=('NAME1', 'NAME2'),
                        help='curve labels (default: the file/folder names)')
    parser.add_argument('--direction', choices=('higher', 'lower'),
                        default='higher', help='which way the score is '
                        'better, for epochs to target (default: higher)')
    parser.add_argument('--out-dir', default=f'work_dirs/analysis/{MEASURE}',
                        help='output folder')
    return parser.parse_args(argv)


def _number(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f'{where}: {text!r} is not a number') from None


def read_csv(path: str, metric=None) -> dict:
    """{epoch: value} of a CSV curve."""
    with open(path, newline='') as file:
        rows = [row for row in csv.reader(file) if row]
    if len(rows) < 2:
        raise ValueError(f'{path}: needs a header and at least one row')
    header = [h.strip() for h in rows[0]]
    if metric is None:
        if len(header) != 2:
            raise ValueError(f'{path}: columns {header}; choose one with '
                             '--metric')
        column = 1
    elif metric in header[1:]:
        column = header.index(metric)
    else:
        raise ValueError(f'{path}: no column {metric!r} in {header}')
    curve = {}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ValueError(f'{path}:{line}: {len(row)} values for '
                             f'{len(header)} columns')
        epoch = _number(row[0], f'{path}:{line}')
        if epoch in curve:
            raise ValueError(f'{path}:{line}: epoch {epoch:g} repeats')
        curve[epoch] = _number(row[column], f'{path}:{line}')
    return curve


def scalar_records(work_dir: str) -> list:
    """The records of every ``*/vis_data/scalars.json`` under ``work_dir``,
    in run (timestamp) order."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                      'scalars.json')))
    records = []
    for path in files:
        with open(path) as file:
            for line, text in enumerate(file, start=1):
                if text.strip():
                    try:
                        records.append(json.loads(text))
                    except json.JSONDecodeError as error:
                        raise ValueError(f'{path}:{line}: not JSON '
                                         f'({error})') from None
    return records


def metric_key(records: list, metric, where: str) -> str:
    keys = sorted({k for r in records for k in r})
    if metric is None:
        raise ValueError(f'{where}: give --metric (recorded keys: '
                         f'{", ".join(keys)})')
    if metric in keys:
        return metric
    matches = [k for k in keys if k.split('/')[-1] == metric]
    if len(matches) != 1:
        raise ValueError(f'{where}: {"several" if matches else "no"} '
                         f'recorded keys match --metric {metric!r} '
                         f'({", ".join(matches or keys)})')
    return matches[0]


def read_run(work_dir: str, metric) -> dict:
    """{epoch: value} of one run's evaluation records."""
    records = scalar_records(work_dir)
    key = metric_key(records, metric, work_dir)
    curve = {}
    for record in records:
        if key in record:
            epoch = record.get('epoch', record.get('step'))
            if epoch is None:
                raise ValueError(f'{work_dir}: a record of {key} has neither '
                                 'epoch nor step')
            curve[float(epoch)] = float(record[key])
    return curve


def read_series(folder: str, metric) -> dict:
    """{epoch: last value} over the evaluation runs ``folder/<...epoch>``."""
    curve = {}
    for sub in sorted(glob.glob(osp.join(folder, '*'))):
        match = EPOCH_DIR.search(osp.basename(sub))
        if not (osp.isdir(sub) and match):
            continue
        records = scalar_records(sub)
        if not records:
            continue
        key = metric_key(records, metric, sub)
        values = [r[key] for r in records if key in r]
        curve[float(match.group(1))] = float(values[-1])
    return curve


def read_curve(source: str, metric=None) -> dict:
    """{epoch: value} of a CSV file, a work directory or a series of them.

    Raises:
        FileNotFoundError: ``source`` does not exist.
        ValueError: no evaluation record, or an unreadable one.
    """
    if osp.isfile(source):
        curve = read_csv(source, metric)
    elif not osp.isdir(source):
        raise FileNotFoundError(f'curve not found: {source}')
    elif scalar_records(source):
        curve = read_run(source, metric)
    else:
        curve = read_series(source, metric)
    if not curve:
        raise ValueError(f'{source}: no evaluation record found (expected a '
                         'CSV, */vis_data/scalars.json, or sub-folders named '
                         'by epoch holding them)')
    return curve


def common_curves(baseline: dict, candidate: dict):
    epochs = sorted(set(baseline) & set(candidate))
    if len(epochs) < 2:
        raise ValueError(f'the curves share {len(epochs)} epochs '
                         f'(baseline {sorted(baseline)}, candidate '
                         f'{sorted(candidate)}); RAUC needs at least 2')
    return (epochs, [baseline[e] for e in epochs],
            [candidate[e] for e in epochs])


def label(source: str) -> str:
    return osp.splitext(osp.basename(osp.normpath(source)))[0]


def compute(args) -> dict:
    baseline = read_curve(args.baseline, args.metric)
    candidate = read_curve(args.candidate, args.metric)
    epochs, s1, s2 = common_curves(baseline, candidate)
    value = rauc(epochs, s1, s2, args.start, args.end)
    names = args.names or [label(args.baseline), label(args.candidate)]
    end = epochs[-1] if args.end is None else args.end
    target = float(np.interp(end, epochs, s1))
    reached = {kind: epochs_to_target(epochs, s2, target, kind == 'interp',
                                      args.direction)
               for kind in ('measured', 'interp')}
    return dict(
        measure=MEASURE, metric=args.metric, rauc=value,
        start=epochs[0] if args.start is None else args.start,
        end=end, epochs=epochs, direction=args.direction, target=target,
        epochs_to_target=reached['interp'],
        epochs_to_target_measured=reached['measured'],
        baseline_epochs_to_target=end,
        epochs_ratio=(None if reached['interp'] is None else
                      reached['interp'] / end),
        baseline=dict(name=names[0], source=args.baseline, values=s1),
        candidate=dict(name=names[1], source=args.candidate, values=s2))


def target_text(result: dict) -> str:
    """The printed epochs-to-target clause."""
    head = (f'epochs to {result["baseline"]["name"]}\'s {result["target"]:g} '
            f'at epoch {result["end"]:g}')
    if result['epochs_to_target'] is None:
        return f'{head}: not reached'
    return (f'{head}: {result["epochs_to_target"]:.4g} (measured '
            f'{result["epochs_to_target_measured"]:g}), ratio '
            f'{result["epochs_ratio"]:.3f}')


def main(argv=None):
    args = parse_args(argv)
    result = compute(args)
    curves = [dict(result[k], epochs=np.asarray(result['epochs']))
              for k in ('baseline', 'candidate')]
    with OutputDir(args.out_dir) as out:
        out.write_json(f'{MEASURE}.json', result)
        out.save_figure(f'{MEASURE}.png', rauc_figure(
            *curves, result['start'], result['end'], result['rauc'],
            args.metric or 'score', result['target'],
            result['epochs_to_target']))
    print(f'RAUC = {result["rauc"]:.4f}; {target_text(result)}; wrote '
          f'{MEASURE}.json and {MEASURE}.png to {args.out_dir}')


if __name__ == '__main__':
    run_main(main)

"""tools/analysis_tools/synth_study.py: its statistics against scipy, its
tables against the per-run results, resuming, and its errors.

Most tests swap ``tools/train.py`` / ``tools/test.py`` for two tiny fake
scripts (same arguments and outputs, deterministic metrics from the seed and
the pre-trained checkpoint), so that a 3-seed grid runs in seconds; one test
runs a 1-seed grid through the real tools on generated SynthScenes data."""
import argparse
import importlib.util
import json
import math
import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import DictAction
from scipy import stats
from tool_helpers import CONFIGS, TOOLS, run_tool

from sgmim.studies import study as st
from sgmim.studies.study_stats import (convergence, paired_difference,
                                        summarize, t_half_width, verdict)

_SPEC = importlib.util.spec_from_file_location(
    'synth_study', TOOLS / 'analysis_tools' / 'synth_study.py')
tool = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(tool)

SIMMIM = CONFIGS / ('synth/simmim_swin-nano-w3_1xb16-coslr-20e_'
                    'synthscenes-96px.py')
UPERNET = CONFIGS / ('synth/upernet_swin-nano-w7_1xb4-40it_'
                     'synthscenes-ade-128x128.py')


# --- statistics ------------------------------------------------------------

@pytest.mark.parametrize('values', [[0.3, 0.5, 0.4], [12.0, 15.5],
                                    [1.0, 1.1, 0.7, 0.95, 1.3]])
def test_summarize_matches_a_loop_and_scipy(values):
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    low, high = stats.t.interval(0.95, n - 1, loc=mean,
                                 scale=std / math.sqrt(n))
    s = summarize(values)
    assert s.n == n
    assert s.mean == pytest.approx(mean, rel=1e-12)
    assert s.std == pytest.approx(std, rel=1e-12)
    assert s.interval == pytest.approx((low, high), rel=1e-12)


def test_one_value_has_no_spread():
    s = summarize([2.5])
    assert (s.n, s.mean) == (1, 2.5)
    assert math.isnan(s.std) and math.isnan(s.half_width)
    assert math.isnan(t_half_width(1.0, 1))
    assert verdict(s, 'higher') == ''


def test_paired_difference_is_the_paired_t_interval():
    a = {0: 0.61, 1: 0.58, 2: 0.66, 3: 0.60}
    b = {0: 0.55, 1: 0.57, 2: 0.59, 3: 0.52, 9: 0.1}  # seed 9: unpaired
    seeds = sorted(a)
    ttest = stats.ttest_rel([a[s] for s in seeds], [b[s] for s in seeds])
    d = paired_difference(a, b)
    assert d.n == 4
    assert d.interval == pytest.approx(tuple(ttest.confidence_interval(0.95)),
                                       rel=1e-10)
    assert d.mean / (d.std / math.sqrt(d.n)) == pytest.approx(ttest.statistic)
    with pytest.raises(ValueError, match='no seed in common'):
        paired_difference({0: 1.0}, {1: 1.0})


@pytest.mark.parametrize('diffs, direction, expected', [
    ([1.0, 1.2, 0.9], 'higher', 'better'), ([1.0, 1.2, 0.9], 'lower', 'worse'),
    ([-1.0, -1.2, -0.9], 'lower', 'better'), ([-1.0, 1.2], 'higher', '~')])
def test_verdict_follows_the_metric_direction(diffs, direction, expected):
    assert verdict(summarize(diffs), direction) == expected


def test_convergence_flat_baselines_and_targets_not_reached():
    # seed 0: the baseline rises 1 -> 2 -> 3, the candidate 1 -> 3 -> 3:
    # areas above 1: 1 + 3 = 4 and 2 + 4 = 6, RAUC 1.5; target 3 first
    # measured at epoch 2, crossed there. Seed 1: a flat baseline (RAUC
    # 0 / 0) and a candidate below its target 5 throughout.
    baseline = {1: {0: 1., 1: 5.}, 2: {0: 2., 1: 5.}, 3: {0: 3., 1: 5.},
                4: {0: 9.}}  # epoch 4: seed 0 alone, not common
    candidate = {1: {0: 1., 1: 4.}, 2: {0: 3., 1: 4.}, 3: {0: 3., 1: 4.5}}
    c = convergence(baseline, candidate)
    assert c.epochs == [1, 2, 3] and c.seeds == [0, 1]
    assert c.per_seed[0] == (1.5, 3., 2., 2.)
    assert c.per_seed[1] == (None, 5., None, None)
    assert (c.rauc.n, c.rauc.mean) == (1, 1.5) and c.crossed is None
    # the mean curves: baseline 3, 3.5, 4; candidate 2.5, 3.5, 3.75: areas
    # above 3: 0.25 + 0.75 = 1 and 0 + 0.625 = 0.625; 4 never reached
    assert c.mean == (pytest.approx(0.625), 4., None, None)
    # lower is better: the error 4 -> 4 -> 4.5 of seed 1 reaches 5 at once
    assert convergence(baseline, candidate, 'lower').per_seed[1][2:] == \
        (1., 1.)
    assert convergence({1: {0: 1.}}, {1: {0: 2.}}) is None  # one epoch
    assert convergence(baseline, {1: {3: 1.}, 2: {3: 1.}}) is None  # seeds


def test_options_reach_the_tools_as_written():
    options = st.flatten_options(dict(
        train_cfg=dict(max_iters=2), val_cfg=None, a=dict(b=[1, 2.5]),
        t=(3, 4), flag=True, name='x.py', **{'dotted.key': 0}))
    assert options['train_cfg.max_iters'] == 2 and options['dotted.key'] == 0
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parsed = parser.parse_args(['--cfg-options', *st.option_args(options)])
    assert parsed.cfg_options == options
    with pytest.raises(TypeError, match='a dict inside a list'):
        st.option_args({'x': [dict(a=1)]})


# --- fake tools ------------------------------------------------------------

FAKE_TRAIN = '''
import argparse, json, pathlib, sys
p = argparse.ArgumentParser()
p.add_argument('config'); p.add_argument('--work-dir')
p.add_argument('--cfg-options', nargs='+', default=[])
a = p.parse_args()
if 'fail' in a.config:
    print('fake training failed: no such thing'); sys.exit(3)
w = pathlib.Path(a.work_dir); w.mkdir(parents=True, exist_ok=True)
ckpt = w / 'iter_1.pth'
ckpt.write_text(json.dumps(dict(
    config=a.config, options=dict(o.split('=', 1) for o in a.cfg_options))))
(w / 'last_checkpoint').write_text(str(ckpt))
'''
FAKE_TEST = '''
import argparse, hashlib, json, pathlib
p = argparse.ArgumentParser()
p.add_argument('config'); p.add_argument('checkpoint')
p.add_argument('--work-dir'); p.add_argument('--cfg-options', nargs='+')
a = p.parse_args()
tuned = json.loads(pathlib.Path(a.checkpoint).read_text())
pre = tuned['options'].get('model.backbone.init_cfg.checkpoint')
pre = json.loads(pathlib.Path(pre).read_text()) if pre else {}
key = (tuned['config'], tuned['options']['randomness.seed'],
       pre.get('config'), pre.get('options', {}).get('randomness.seed'))
u = [b / 255 for b in hashlib.sha256(repr(key).encode()).digest()]
gain = 0 if not pre else 5 if 'a.py' in pre['config'] else 8
out = pathlib.Path(a.work_dir) / '20260101_000000'
out.mkdir(parents=True)
(out / '20260101_000000.json').write_text(json.dumps(dict(
    acc=40 + gain + u[0], err=0.5 - gain / 100 + 0.05 * u[1],
    rmse=1 + u[2], time=0.1)))
'''


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A folder with fake tools, two method configs, two task configs and a
    study file; the tools are counted as they are launched."""
    tools = tmp_path / 'tools'
    tools.mkdir()
    (tools / 'train.py').write_text(FAKE_TRAIN)
    (tools / 'test.py').write_text(FAKE_TEST)
    monkeypatch.setattr(st, 'TOOLS', tools)
    for name, body in (('a.py', 'train_cfg = dict(max_epochs=2)\n'),
                       ('b.py', 'train_cfg = dict(max_epochs=2)\n'),
                       ('seg.py', 'train_cfg = dict(max_iters=3)\n'
                        'train_dataloader = dict(batch_size=2)\n'),
                       ('depth.py', 'train_cfg = dict(max_iters=4)\n'),
                       ('fail.py', 'train_cfg = dict(max_iters=4)\n')):
        (tmp_path / name).write_text(body)
    write_study(tmp_path / 'study.py')
    monkeypatch.chdir(tmp_path)
    launches = []
    real = st.run_tool

    def counting(script, args, log, cwd=None):
        launches.append((script, Path(log).parent))
        return real(script, args, log, cwd)

    monkeypatch.setattr(st, 'run_tool', counting)
    return tmp_path, launches


def write_study(path, extra=''):
    path.write_text(textwrap.dedent('''\
        pretrain = {'random': None, 'A': 'a.py',
                    'B': dict(config='b.py',
                              cfg_options=dict(train_cfg=dict(max_epochs=3)))}
        transfer = dict(
            seg=dict(config='seg.py', metrics=dict(acc='higher', err='lower')),
            depth=dict(config='depth.py', metrics=dict(rmse='lower')))
        seeds = [0, 1, 2]
        comparisons = [('B', 'A')]
        ''') + extra)


def study(*args):
    tool.main(['study.py', '--work-dir', 'work', '--out', 'docs/study.md',
               *map(str, args)])


def rows(doc, section, task):
    """Rows (lists of cells) of the table under ``## section`` /
    ``### task``."""
    part = doc.split(f'## {section}\n', 1)[1].split('\n## ', 1)[0]
    part = part.split(f'### {task}\n', 1)[1].split('\n### ', 1)[0]
    lines = [ln for ln in part.splitlines() if ln.startswith('|')][2:]
    return [[c.strip() for c in ln.strip('|').split(' | ')] for ln in lines]


def by_name(doc, section, task):
    return {row[0]: row for row in rows(doc, section, task)}


CELL = re.compile(r'^\*{0,2}([+-]?\d+\.(\d+))\*{0,2}(?: ± (\d+\.\d+))? '
                  r'\[([+-]?\d+\.\d+), ([+-]?\d+\.\d+)\]')


def parse_cell(text):
    m = CELL.match(text)
    assert m, text
    tol = 0.51 * 10 ** -len(m.group(2))
    numbers = [float(g) if g else None for g in m.group(1, 3, 4, 5)]
    return numbers, tol


def transfer_values(work, task, method, metric):
    values = {}
    folder = work / 'transfer' / task / method
    for path in sorted(folder.glob('seed*/result.json')):
        result = json.loads(path.read_text())
        values[result['seed']] = result['metrics'][metric]
    return values


def test_tables_are_the_per_run_results_aggregated(fake, capsys):
    root, launches = fake
    study()
    out = capsys.readouterr().out
    assert out.count(': ran in ') == 3 * (2 + 3 * 2)
    # per seed: 2 pre-trainings, 6 transfers of 2 tool runs each
    assert len(launches) == 3 * (2 + 6 * 2)
    doc = (root / 'docs' / 'study.md').read_text()
    png = root / 'docs' / 'study.png'
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert '](study.png)' in doc
    assert 'python tools/analysis_tools/synth_study.py study.py --work-dir ' \
        'work --out docs/study.md' in doc
    assert '| B | `b.py` | 3 epochs x batch ? | `train_cfg.max_epochs=3` |' \
        in doc
    assert '| seg | `seg.py` | 3 iters x batch 2 | acc ↑, err ↓ |' in doc

    work = root / 'work'
    for task, metrics in (('seg', ('acc', 'err')), ('depth', ('rmse',))):
        table = by_name(doc, 'Results', task)
        for column, metric in enumerate(metrics, 2):
            for method in ('random', 'A', 'B'):
                values = list(transfer_values(work, task, method,
                                              metric).values())
                assert len(values) == 3
                n = len(values)
                mean = float(np.mean(values))
                std = float(np.std(values, ddof=1))
                low, high = stats.t.interval(0.95, n - 1, loc=mean,
                                             scale=std / math.sqrt(n))
                (m, s, lo, hi), tol = parse_cell(table[method][column])
                assert table[method][1] == '3'
                assert [m, s, lo, hi] == pytest.approx(
                    [mean, std, low, high], abs=tol)
        diffs = by_name(doc, 'Paired differences', task)
        assert list(diffs) == ['A − random', 'B − random', 'B − A']
        for label, (a, b) in (('A − random', ('A', 'random')),
                              ('B − A', ('B', 'A'))):
            for column, metric in enumerate(metrics, 2):
                va = transfer_values(work, task, a, metric)
                vb = transfer_values(work, task, b, metric)
                ttest = stats.ttest_rel([va[s] for s in range(3)],
                                        [vb[s] for s in range(3)])
                mean = np.mean([va[s] - vb[s] for s in range(3)])
                (m, _, lo, hi), tol = parse_cell(diffs[label][column])
                assert [m, lo, hi] == pytest.approx(
                    [mean, *ttest.confidence_interval(0.95)], abs=tol)
    # the fakes make pre-training help by 5 (A) and 8 (B) accuracy points
    assert by_name(doc, 'Results', 'seg')['B'][2].startswith('**')
    assert by_name(doc, 'Paired differences', 'seg')['B − random'][2] \
        .endswith('better')
    per_seed = rows(doc, 'Per-seed values', 'seg')
    assert [r[:2] for r in per_seed] == [
        [m, str(s)] for m in ('random', 'A', 'B') for s in range(3)]
    for method, seed, acc, err, _ in per_seed:
        metrics = json.loads((work / f'transfer/seg/{method}/seed{seed}/'
                              'result.json').read_text())['metrics']
        assert float(acc) == pytest.approx(metrics['acc'], abs=5e-5)
        assert float(err) == pytest.approx(metrics['err'], abs=5e-5)
    summary = json.loads((work / 'summary.json').read_text())
    assert len(summary['summaries']) == 3 * 3


def test_seed_s_transfers_the_encoder_of_seed_s(fake):
    root, _ = fake
    study()
    for seed in range(3):
        result = json.loads((root / f'work/transfer/seg/B/seed{seed}/'
                             'result.json').read_text())
        pretrained = root / f'work/pretrain/B/seed{seed}/iter_1.pth'
        assert f'randomness.seed={seed}' in result['inputs']['train']
        assert f'randomness.seed={seed}' in result['inputs']['test']
        assert ('model.backbone.init_cfg.checkpoint=' + str(pretrained)
                in result['inputs']['train'])
        options = json.loads(pretrained.read_text())['options']
        assert options['randomness.seed'] == str(seed)
        assert options['train_cfg.max_epochs'] == '3'


def test_resumes_and_reruns_only_what_is_missing_or_stale(fake, capsys):
    root, launches = fake
    work = root / 'work'
    study()
    results = sorted(work.rglob('result.json'))
    stamps = {p: p.stat().st_mtime_ns for p in results}
    tree = sorted(work.rglob('*'))
    launches.clear()
    capsys.readouterr()

    study()  # everything done: nothing runs, nothing changes
    assert launches == []
    assert capsys.readouterr().out.count('skipped (result exists)') == 24
    assert sorted(work.rglob('*')) == tree
    assert {p: p.stat().st_mtime_ns for p in results} == stamps

    (work / 'transfer/depth/A/seed1/result.json').unlink()
    study()  # that run alone, fine-tuning and test
    assert launches == [('train.py', work / 'transfer/depth/A/seed1'),
                        ('test.py', work / 'transfer/depth/A/seed1')]

    launches.clear()
    (work / 'pretrain/B/seed2/result.json').unlink()
    study()  # a new encoder: its transfers are stale too
    assert {d for _, d in launches} == {
        work / 'pretrain/B/seed2', work / 'transfer/seg/B/seed2',
        work / 'transfer/depth/B/seed2'}
    assert len(launches) == 5

    launches.clear()
    study('--cfg-options', 'transfer.depth.cfg_options.train_cfg.max_iters=9')
    assert {d.parent.parent.name for _, d in launches} == {'depth'}
    assert len(launches) == 3 * 3 * 2


def test_only_aggregate_runs_nothing_and_names_missing_runs(fake, capsys):
    root, launches = fake
    study('--seeds', 0, 1)
    (root / 'work/transfer/seg/random/seed1/result.json').unlink()
    launches.clear()
    study('--seeds', 0, 1, '--only-aggregate')
    assert launches == []
    doc = (root / 'docs/study.md').read_text()
    assert '**Missing runs (1)**' in doc and 'seg <- random seed 1' in doc
    assert by_name(doc, 'Results', 'seg')['random'][1] == '1'
    assert by_name(doc, 'Results', 'seg')['A'][1] == '2'


def test_a_failed_run_names_its_log_and_writes_no_report(fake):
    root, _ = fake
    write_study(root / 'study.py', "transfer['seg']['config'] = 'fail.py'\n")
    with pytest.raises(SystemExit) as err:
        study('--seeds', 0)
    log = root / 'work/transfer/seg/random/seed0/train.log'
    assert f'see {log}' in str(err.value)
    assert 'fake training failed: no such thing' in str(err.value)
    assert not (root / 'docs').exists()


@pytest.mark.parametrize('extra, message', [
    ("seed = 3\n", "top level: unknown key(s) 'seed'"),
    ("pretrain['C'] = 'nowhere.py'\n",
     "pretrain['C']: config file not found: nowhere.py"),
    ("pretrain['C'] = dict(config='a.py', options={})\n",
     "pretrain['C']: unknown key(s) 'options'"),
    ("transfer['seg']['metrics']['acc'] = 'up'\n",
     "transfer['seg'].metrics['acc'] must be \"higher\" or \"lower\""),
    ("transfer['x'] = dict(config='seg.py')\n",
     "transfer['x']: missing key 'metrics'"),
    ("reference = 'C'\n", "reference 'C' is not a pretrain name"),
    ("comparisons = [('B', 'C')]\n", "comparisons: ('B', 'C') is not a pair"),
    ("pretrain['C'] = dict(config='a.py', start_from='C')\n",
     "pretrain['C'].start_from: 'C' is not a method listed before it"),
    ("pretrain = dict(C=dict(config='a.py', start_from='A'), A='a.py')\n",
     "pretrain['C'].start_from: 'A' is not a method listed before it"),
    ("pretrain['C'] = dict(config='a.py', start_from='random')\n",
     "'random' is random initialisation (no encoder to start from)"),
    ("pretrain['C'] = dict(start_from='B')\n",
     "pretrain['C'].start_from must be the name of a method, and needs a "
     "pre-training config"),
])
def test_study_file_errors_name_the_file_and_key(fake, extra, message):
    root, launches = fake
    write_study(root / 'study.py', extra)
    with pytest.raises(SystemExit) as err:
        study()
    assert str(err.value).startswith('[study] study.py: ')  # as given
    assert message in str(err.value)
    assert launches == []


def test_a_metric_the_runs_lack_names_the_study_key(fake):
    root, _ = fake
    write_study(root / 'study.py', "transfer['depth']['metrics'] = "
                "dict(d1='higher')\n")
    with pytest.raises(SystemExit, match=re.escape(
            "transfer['depth'].metrics: 'd1' is not a test metric")):
        study('--seeds', 0)


def test_start_from_chains_pretrainings_seed_by_seed(fake):
    root, launches = fake
    write_study(root / 'study.py',
                "pretrain['C'] = dict(config='a.py', start_from='B')\n"
                "pretrain['D'] = dict(config='b.py', start_from='C')\n")
    study('--seeds', 0, 1)
    work = root / 'work'

    def trained(run):  # the options the fake train.py was launched with
        return json.loads((work / run / 'iter_1.pth').read_text())['options']

    key = 'model.backbone.init_cfg.checkpoint'
    for seed in (0, 1):
        assert key not in trained(f'pretrain/B/seed{seed}')
        for name, upstream in (('C', 'B'), ('D', 'C')):
            options = trained(f'pretrain/{name}/seed{seed}')
            assert options[key] == str(
                work / f'pretrain/{upstream}/seed{seed}/iter_1.pth')
            assert options['randomness.seed'] == str(seed)
        assert trained(f'transfer/seg/D/seed{seed}/train')[key] == str(
            work / f'pretrain/D/seed{seed}/iter_1.pth')
    doc = (root / 'docs/study.md').read_text()
    assert 'C from B; D from C.' in doc
    assert set(by_name(doc, 'Results', 'seg')) == {'random', 'A', 'B', 'C',
                                                   'D'}

    launches.clear()
    (work / 'pretrain/C/seed1/result.json').unlink()
    study('--seeds', 0, 1)  # C's new encoder: D and both their transfers
    assert {d for _, d in launches} == {
        work / 'pretrain/C/seed1', work / 'pretrain/D/seed1',
        *(work / f'transfer/{t}/{m}/seed1' for t in ('seg', 'depth')
          for m in 'CD')}
    assert len(launches) == 2 + 4 * 2


def test_the_shipped_study_file():
    s = st.load_study(CONFIGS / 'synth/studies/sgmim_vs_simmim.py')
    assert [m.name for m in s.methods] == ['random', 'SimMIM', 'SG-MIM']
    assert s.methods[0].config is None
    assert [t.name for t in s.tasks] == ['depth', 'depth-lr5e-4',
                                         'depth-stage3', 'UperNet']
    for depth in s.tasks[:3]:
        assert depth.metrics == dict(d1='higher', abs_rel='lower',
                                     rmse='lower')
        assert depth.cfg_options['train_cfg.max_iters'] == 800
        assert depth.cfg_options['param_scheduler.0.rise_steps'] == 384
    assert s.tasks[1].cfg_options['optim_wrapper.optimizer.lr'] == 5e-4
    assert s.tasks[2].cfg_options['model.backbone.out_indices'] == (2, )
    assert s.tasks[3].metrics == dict(mIoU='higher', aAcc='higher')
    assert s.data['options']['num_pretrain'] == 512
    assert s.seeds == [0, 1, 2] and s.reference == 'random'
    assert ('SG-MIM', 'SimMIM') in s.comparisons
    assert all(e.config.is_file() for e in [*s.methods[1:], *s.tasks])


def test_the_shipped_screen_texture_study_file():
    """The data check: the first study's methods, seeds and depth task on a
    set whose textures are fixed to the image."""
    first = st.load_study(CONFIGS / 'synth/studies/sgmim_vs_simmim.py')
    s = st.load_study(
        CONFIGS / 'synth/studies/sgmim_vs_simmim_screen_textures.py')
    assert [m.name for m in s.methods] == ['random', 'SimMIM', 'SG-MIM']
    assert [(m.config, m.cfg_options) for m in s.methods] == [
        (m.config, m.cfg_options) for m in first.methods]
    task, = s.tasks
    assert (task.name, task.config, task.cfg_options, task.metrics) == (
        'depth', first.tasks[0].config, first.tasks[0].cfg_options,
        first.tasks[0].metrics)
    assert s.data['options'] == {
        **first.data['options'], 'subsets': ['imagenet', 'nyu'],
        'texture_space': 'screen',
        'sizes': {k: v for k, v in first.data['options']['sizes'].items()
                  if k in ('imagenet', 'nyu')}}
    assert s.seeds == first.seeds + [3, 4]
    assert s.data['seed'] == first.data['seed']


def test_the_shipped_low_data_study_file():
    """The low-data check: the first study's depth task on 24 of its 96
    training images, every other setting the first study's."""
    first = st.load_study(CONFIGS / 'synth/studies/sgmim_vs_simmim.py')
    s = st.load_study(CONFIGS / 'synth/studies/sgmim_vs_simmim_24img.py')
    assert [(m.name, m.config, m.cfg_options) for m in s.methods] == [
        (m.name, m.config, m.cfg_options) for m in first.methods]
    task, = s.tasks
    assert (task.name, task.config, task.metrics) == (
        'depth-24img', first.tasks[0].config, first.tasks[0].metrics)
    assert task.cfg_options == {**first.tasks[0].cfg_options,
                                'train_dataloader.dataset.indices': 24}
    assert (s.data, s.seeds) == (first.data, first.seeds)


def test_the_shipped_lut_study_file():
    s = st.load_study(CONFIGS / 'synth/studies/lut_vs_mae.py')
    assert [m.name for m in s.methods] == ['random', 'MAE', 'LUT', 'SimMIM',
                                           'LUT-SimMIM', 'LUT-m0.99']
    assert s.methods[-1].cfg_options['model.base_momentum'] == 0.99
    assert s.methods[0].config is None
    assert all(m.cfg_options['train_cfg.max_epochs'] == 20
               for m in s.methods[1:])
    task, = s.tasks
    assert task.name == 'cls' and task.metrics == {'accuracy/top1': 'higher'}
    assert task.config.name == \
        'vit-nano-p16_1xb16-coslr-5e_synthscenes-96px.py'
    assert s.data['options']['subsets'] == ['imagenet']
    assert (s.data['options']['num_pretrain'],
            s.data['options']['num_pretrain_val']) == (512, 256)
    assert s.seeds == [0, 1, 2] and s.reference == 'random'
    assert {('LUT', 'MAE'), ('LUT-SimMIM', 'SimMIM'), ('LUT-m0.99', 'LUT')
            } <= set(s.comparisons)
    assert all(e.config.is_file() for e in [*s.methods[1:], *s.tasks])


def test_the_shipped_mto_study_file():
    vit = 'vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py'
    s = st.load_study(CONFIGS / 'synth/studies/mto_vs_baseline.py')
    assert [m.name for m in s.methods] == [
        'random', 'SimMIM', 'SimMIM+MTO', 'MAE', 'MAE+MTO', 'SimMIM+MTO-e-r',
        'SimMIM+MTO-spa']
    assert [m.config.name for m in s.methods[1:5]] == [
        f'{name}_{vit}' for name in ('simmim', 'mto-simmim', 'mae',
                                     'mto-mae')]
    # the diagnostics: the ablation configs, final checkpoints only
    assert [m.config.name for m in s.methods[5:]] == [
        f'mto-simmim-e-r_{vit}', f'mto-simmim-spa_{vit}']
    assert not any(m.checkpoints for m in s.methods[5:])
    for method in s.methods[1:5]:
        assert method.checkpoints == (5, 10, 15, 20)
        assert method.cfg_options == {
            'train_cfg.max_epochs': 20,
            'default_hooks.checkpoint.interval': 5,
            'default_hooks.checkpoint.max_keep_ckpts': -1}
    lut = st.load_study(CONFIGS / 'synth/studies/lut_vs_mae.py')
    assert s.tasks == lut.tasks and s.data == lut.data
    assert s.seeds == [0, 1, 2] and s.reference == 'random'
    assert s.comparisons[-4:] == [('SimMIM+MTO', 'SimMIM'),
                                  ('MAE+MTO', 'MAE'),
                                  ('SimMIM+MTO-e-r', 'SimMIM'),
                                  ('SimMIM+MTO-spa', 'SimMIM')]
    # per seed: 6 pre-trainings, 4 x 4 + 2 transfers, 1 from random
    assert len(st.grid(s)) == 3 * (6 + 18 + 1)


def test_the_shipped_mesa_study_file():
    s = st.load_study(CONFIGS / 'synth/studies/mesa_stages.py')
    assert [(m.name, m.start_from) for m in s.methods] == [
        ('random', None), ('MP', None), ('MP+GP', 'MP'),
        ('MP+GP+SP', 'MP+GP')]
    assert [m.config.name for m in s.methods[1:]] == [
        'simmim_swinv2-nano-w3_1xb16-coslr-20e_synthscenes-96px.py',
        'mesa-geometric_swinv2-nano-w3_1xb4-40it_synthscenes-traj-96x128.py',
        'mesa-supervised_swinv2-nano-w3_1xb4-40it_synthscenes-traj-'
        '96x128.py']
    depth, ibims = s.tasks
    assert depth.config.name == ('glpdepth_swinv2-nano-w3_1xb4-200it_'
                                 'synthscenes-nyu-96x96.py')
    assert ibims.config.name == ('glpdepth_swinv2-nano-w3_1xb4-200it_'
                                 'synthscenes-nyu-96x96_ibims-160x120.py')
    assert depth.metrics == dict(d1='higher', abs_rel='lower', rmse='lower')
    assert all(d == 'lower' for d in ibims.metrics.values())
    assert s.data['options']['subsets'] == ['imagenet', 'nyu',
                                            'trajectories', 'ibims']
    assert s.seeds == [0, 1, 2, 3, 4] and s.reference == 'random'
    assert s.comparisons[-3:] == [('MP+GP', 'MP'), ('MP+GP+SP', 'MP'),
                                  ('MP+GP+SP', 'MP+GP')]
    # per seed: 3 pre-trainings, 4 methods x 2 tasks
    assert len(st.grid(s)) == 5 * (3 + 4 * 2)


# --- the real tools --------------------------------------------------------

def test_real_tools_one_run_end_to_end(synth_workspace, tmp_path,
                                       monkeypatch):
    fast = dict(num_workers=0, persistent_workers=False)
    (tmp_path / 'study.py').write_text(textwrap.dedent(f'''\
        pretrain = {{'SimMIM': dict(
            config='{SIMMIM}',
            cfg_options=dict(train_cfg=dict(max_epochs=1),
                             train_dataloader={fast!r}))}}
        transfer = dict(seg=dict(
            config='{UPERNET}', metrics=dict(mIoU='higher', aAcc='higher'),
            cfg_options=dict(train_cfg=dict(max_iters=2), val_cfg=None,
                             val_dataloader=None, val_evaluator=None,
                             train_dataloader={fast!r},
                             test_dataloader={fast!r})))
        seeds = [1]
        '''))
    work, out = tmp_path / 'work', tmp_path / 'docs' / 'study.md'
    args = [tmp_path / 'study.py', '--work-dir', work, '--out', out]
    proc = run_tool('analysis_tools/synth_study.py', *args,
                    cwd=synth_workspace)
    assert proc.stdout.count(': ran in ') == 2
    assert out.with_suffix('.png').stat().st_size > 0
    doc = out.read_text()
    assert '| SimMIM | `' in doc and '1 epochs x batch 16' in doc

    pretrained = work / 'pretrain/SimMIM/seed1/epoch_1.pth'
    run_dir = work / 'transfer/seg/SimMIM/seed1'
    for log in (pretrained.parent / 'train.log', run_dir / 'train.log',
                run_dir / 'test.log'):
        assert re.search(r'^ +seed: 1$', log.read_text(), re.M), log
    loaded = rf'load backbone\. in \w+ from: {re.escape(str(pretrained))}'
    assert re.search(loaded, (run_dir / 'train.log').read_text())
    result = json.loads((run_dir / 'result.json').read_text())
    tested, = (run_dir / 'test').glob('*/*.json')  # tools/test.py's own
    assert result['metrics'] == json.loads(tested.read_text())
    row = by_name(doc, 'Results', 'seg')['SimMIM']
    assert row[1] == '1'
    for column, metric in ((2, 'mIoU'), (3, 'aAcc')):
        assert float(row[column].strip('*')) == pytest.approx(
            result['metrics'][metric], abs=5e-3)

    # a second invocation (in-process, to count tool launches) runs nothing
    monkeypatch.chdir(synth_workspace)
    launches = []
    monkeypatch.setattr(st, 'run_tool', lambda *a, **k: launches.append(a))
    tree = sorted(work.rglob('*'))
    tool.main(list(map(str, args)))
    assert launches == [] and sorted(work.rglob('*')) == tree


def test_study_data_is_generated_once_and_read_by_the_tools(fake,
                                                            monkeypatch):
    """``data``: the study's own SynthScenes set under WORK_DIR/data, made
    once per seed and options; every tool runs in WORK_DIR (where the synth
    configs' ``data/synthscenes`` roots point); other options regenerate it
    and re-run every run."""
    root, launches = fake
    data = ("data = dict(seed=3, subsets=('nyu',), num_pretrain=0, "
            "num_pretrain_val=0, num_train={n}, num_val=1, "
            "num_trajectories=1)\n")
    write_study(root / 'study.py', data.format(n=2))
    cwds = []
    counting = st.run_tool

    def recording(script, args, log, cwd=None):
        cwds.append(cwd)
        return counting(script, args, log, cwd)

    monkeypatch.setattr(st, 'run_tool', recording)
    study('--seeds', 0)
    work = (root / 'work').resolve()
    manifest = work / 'data' / 'synthscenes' / 'synthscenes.json'
    made = json.loads(manifest.read_text())
    assert made['seed'] == 3 and made['counts'] == {
        'nyu': {'train': 2, 'test': 1}}
    assert len(cwds) == 2 + 6 * 2 and set(cwds) == {work}
    stamp = manifest.stat().st_mtime_ns
    study('--seeds', 0)
    assert len(cwds) == 14 and manifest.stat().st_mtime_ns == stamp
    write_study(root / 'study.py', data.format(n=3))
    study('--seeds', 0)
    assert len(cwds) == 28
    assert json.loads(manifest.read_text())['counts']['nyu']['train'] == 3
    assert not list((work / 'data').glob('.synthscenes*'))
    doc = (root / 'docs' / 'study.md').read_text()
    assert ('SynthScenes generated for the study (seed 3, subsets nyu): 0 '
            'pre-training images, 3 training and 1 test images per other '
            'task;') in doc
    assert 'albedo patterns' not in doc
    # a non-default texture space is a new set, and the report says so
    write_study(root / 'study.py',
                data.format(n=3)[:-2] + ", texture_space='screen')\n")
    study('--seeds', 0)
    assert len(cwds) == 42
    assert json.loads(
        manifest.read_text())['options']['texture_space'] == 'screen'
    doc = (root / 'docs' / 'study.md').read_text()
    assert ('3 training and 1 test images per other task, albedo patterns '
            'in screen space;') in doc


def test_study_data_options_are_checked(fake):
    root, _ = fake
    write_study(root / 'study.py', 'data = dict(num_pretrian=4)\n')
    with pytest.raises(SystemExit, match=r'study.py: data: .*num_pretrian'):
        study()


# --- checkpoints: convergence curves (RAUC, epochs to target) --------------

# The fake tools below score a transfer from checkpoint E of a pre-training
# with config a.py / b.py by these piecewise-linear curves, plus the seed for
# b.py: every number of the convergence section follows by hand.
CURVES = dict(a={2: 40., 4: 44., 5: 45., 6: 46., 8: 48.},
              b={2: 42., 4: 46., 6: 49., 8: 50.})
HOOK = "default_hooks = dict(checkpoint=dict(type='CheckpointHook', " \
    "interval={}))\n"


@pytest.fixture
def curves_study(tmp_path, monkeypatch):
    """A study with two checkpointed methods run by in-process fake tools
    (pre-training saves epoch_1..8.pth; a transfer tests the CURVES value
    of its encoder's epoch); returns the folder and the launches."""
    for name, interval in (('a.py', 1), ('b.py', 2)):
        (tmp_path / name).write_text('train_cfg = dict(max_epochs=8)\n' +
                                     HOOK.format(interval))
    (tmp_path / 'cls.py').write_text('train_cfg = dict(max_epochs=1)\n')
    write_curves_study(tmp_path / 'study.py')
    monkeypatch.chdir(tmp_path)
    launches = []

    def fake_tool(script, args, log, cwd=None):
        args = list(map(str, args))
        work = Path(args[args.index('--work-dir') + 1])
        options = dict(o.split('=', 1) for o in
                       args[args.index('--cfg-options') + 1:])
        launches.append((script, work, options))
        work.mkdir(parents=True, exist_ok=True)
        Path(log).write_text('fake\n')
        if script == 'train.py' and Path(args[0]).name == 'cls.py':
            ckpt = work / 'epoch_1.pth'  # a fine-tuning: remember its input
            ckpt.write_text(json.dumps(options.get(
                'model.backbone.init_cfg.checkpoint')))
        elif script == 'train.py':  # a pre-training: 8 epochs
            for epoch in range(1, 9):
                ckpt = work / f'epoch_{epoch}.pth'
                ckpt.write_text(json.dumps(dict(
                    config=args[0], epoch=epoch, options=options)))
        else:  # test: the score of the pre-trained encoder
            pre = json.loads(Path(args[1]).read_text())
            acc = 30.
            if pre is not None:
                pre = json.loads(Path(pre).read_text())
                stem = Path(pre['config']).stem
                seed = int(pre['options']['randomness.seed'])
                acc = CURVES[stem][pre['epoch']] + (seed if stem == 'b'
                                                    else 0)
            out = work / '20260101_000000'
            out.mkdir(parents=True)
            (out / '20260101_000000.json').write_text(json.dumps(
                dict(acc=acc)))
            return 0, 0.01
        (work / 'last_checkpoint').write_text(str(ckpt))
        return 0, 0.01

    monkeypatch.setattr(st, 'run_tool', fake_tool)
    return tmp_path, launches


def write_curves_study(path, extra=''):
    path.write_text(textwrap.dedent('''\
        pretrain = {'random': None,
                    'A': dict(config='a.py', checkpoints=[2, 4, 6, 8]),
                    'B': dict(config='b.py', checkpoints=[8, 2, 6, 4])}
        transfer = dict(cls=dict(config='cls.py', metrics=dict(acc='higher')))
        seeds = [0, 1, 2]
        comparisons = [('B', 'A')]
        ''') + extra)


def tables(doc, section, heading):
    """The tables (lists of rows of cells) under ``## section`` /
    ``### heading``."""
    part = doc.split(f'## {section}\n', 1)[1].split('\n## ', 1)[0]
    part = part.split(f'### {heading}\n', 1)[1].split('\n### ', 1)[0]
    found = []
    for block in part.split('\n\n'):
        lines = [ln for ln in block.splitlines() if ln.startswith('|')][2:]
        if lines:
            found.append([[c.strip() for c in ln.strip('|').split(' | ')]
                          for ln in lines])
    return found


def test_checkpoints_transfer_from_each_epoch_and_report_convergence(
        curves_study, capsys):
    root, launches = curves_study
    study()
    work = root / 'work'
    # per seed: random 1 transfer, A and B 1 pre-training + 4 transfers
    assert len(launches) == 3 * (2 + 1 * 2 + 2 * 4 * 2)
    pretrainings = [o for s, w, o in launches if w.parent.parent.name ==
                    'pretrain']
    assert len(pretrainings) == 6 and all(
        o['default_hooks.checkpoint.max_keep_ckpts'] == '-1'
        for o in pretrainings)
    assert sorted(p.relative_to(work).as_posix() for p in
                  work.glob('transfer/cls/*/**/result.json')) == sorted(
        [f'transfer/cls/random/seed{s}/result.json' for s in range(3)] +
        [f'transfer/cls/{m}/epoch{e}/seed{s}/result.json' for m in 'AB'
         for e in (2, 4, 6, 8) for s in range(3)])
    result = json.loads((work / 'transfer/cls/B/epoch6/seed1/result.json')
                        .read_text())
    assert (result['epoch'], result['seed'], result['metrics']['acc']) == \
        (6, 1, 50.)
    assert result['inputs']['pretrain']['checkpoint'] == str(
        work / 'pretrain/B/seed1/epoch_6.pth')

    doc = (root / 'docs/study.md').read_text()
    assert 'A at epochs 2, 4, 6, 8; B at epochs 2, 4, 6, 8.' in doc
    # the tables of the study use the last epoch: A 48, B 50 + seed
    results = by_name(doc, 'Results', 'cls')
    assert parse_cell(results['A'][2])[0][0] == pytest.approx(48)
    assert parse_cell(results['B'][2])[0][0] == pytest.approx(51)
    # Results, Paired differences, Convergence (B vs A only), Per-seed
    assert doc.count('\n### ') == 4 and '### B vs A: cls acc ↑' in doc
    per_epoch, measures = tables(doc, 'Convergence: RAUC and epochs to '
                                 'target', 'B vs A: cls acc ↑')
    assert [r[0] for r in per_epoch] == ['2', '4', '6', '8']
    (a, a_std, _, _), _ = parse_cell(per_epoch[0][2])
    (b, b_std, _, _), _ = parse_cell(per_epoch[0][3])
    (d, _, _, _), _ = parse_cell(per_epoch[2][4])
    assert (a, a_std, b, b_std, d) == (40, 0, 43, 1, 4)  # B 49 + seed - 46
    # RAUC: areas above A(2) = 40 over [2, 8]: A 4 + 10 + 14 = 28; B
    # (2 + 6) + (6 + 9) + (9 + 10) = 42, + 6 per seed unit: 42/28, 48/28,
    # 54/28. Target 48 (A at 8): B 42+s, 46+s, 49+s, 50+s first reaches it
    # at epoch 6, 6, 4; the crossing 4 + 2 (2 - s) / 3 for s = 0, 1, then 4.
    rauc_seeds = [42 / 28, 48 / 28, 54 / 28]
    crossed = [4 + 4 / 3, 4 + 2 / 3, 4.]
    rows_ = {r[0]: r for r in measures}
    for s in range(3):
        label, value, target, reached, interpolated, ratio = \
            rows_[f'seed {s}']
        assert float(value) == pytest.approx(rauc_seeds[s], abs=5e-4)
        assert (float(target), float(reached)) == (48, [6, 6, 4][s])
        assert float(interpolated) == pytest.approx(crossed[s], abs=5e-3)
        assert float(ratio) == pytest.approx(crossed[s] / 8, abs=5e-4)
    mean = rows_['mean over 3 seeds']
    h = stats.t.ppf(0.975, 2) * np.std(rauc_seeds, ddof=1) / math.sqrt(3)
    (m, sd, lo, hi), tol = parse_cell(mean[1])
    assert [m, sd, lo, hi] == pytest.approx(
        [48 / 28, 6 / 28, 48 / 28 - h, 48 / 28 + h], abs=tol)
    assert mean[1].endswith('faster')  # the interval lies above 1
    assert parse_cell(mean[4])[0][0] == pytest.approx(14 / 3, abs=5e-3)
    assert float(mean[5]) == pytest.approx(14 / 3 / 8, abs=5e-4)
    # the mean curves: A 40, 44, 46, 48; B 43, 47, 50, 51
    curves = rows_['seed-mean curves']
    assert float(curves[1]) == pytest.approx(48 / 28, abs=5e-4)
    assert (float(curves[3]), float(curves[4])) == pytest.approx(
        (6, 4 + 2 / 3), abs=5e-3)
    png = root / 'docs/study_curves.png'
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert '](study_curves.png)' in doc
    per_seed = rows(doc, 'Per-seed values', 'cls')
    assert [r[:3] for r in per_seed[:4]] == [
        ['random', '—', '0'], ['random', '—', '1'], ['random', '—', '2'],
        ['A', '2', '0']]
    summary = json.loads((work / 'summary.json').read_text())
    entry, = summary['convergence']
    assert entry['rauc']['mean'] == pytest.approx(48 / 28)
    assert entry['per_seed']['2'] == dict(rauc=pytest.approx(54 / 28),
                                          target=48, reached=4, crossed=4)

    # resuming runs nothing; an epoch added to the list (saved by the
    # interval 1 of a.py) runs its transfers alone, from the same run
    launches.clear()
    study()
    assert launches == []
    study('--cfg-options', 'pretrain.A.checkpoints=[2,4,5,6,8]')
    assert sorted(w.relative_to(work).as_posix() for _, w, _ in launches) \
        == [f'transfer/cls/A/epoch5/seed{s}/{step}' for s in range(3)
            for step in ('test', 'train')]
    # a missing run drops its seed from the pair's curves
    (work / 'transfer/cls/B/epoch4/seed2/result.json').unlink()
    study('--only-aggregate')
    per_epoch, measures = tables((root / 'docs/study.md').read_text(),
                                 'Convergence: RAUC and epochs to target',
                                 'B vs A: cls acc ↑')
    assert [r[1] for r in per_epoch] == ['2'] * 4
    assert [r[0] for r in measures] == ['seed 0', 'seed 1',
                                        'mean over 2 seeds',
                                        'seed-mean curves']


@pytest.mark.parametrize('extra, message', [
    ("pretrain['random'] = dict(config=None, checkpoints=[2])\n",
     "pretrain['random']: checkpoints need a pre-training config"),
    ("pretrain['B']['checkpoints'] = [2, 2]\n", 'distinct positive epochs'),
    ("pretrain['B']['checkpoints'] = [2.5]\n", 'distinct positive epochs'),
    ("pretrain['B']['checkpoints'] = [4, 10]\n",
     "[10] after the last epoch (8)"),
    ("pretrain['B']['checkpoints'] = [3, 5, 8]\n",
     'epochs [3, 5] are not saved: default_hooks.checkpoint.interval=2'),
    ("pretrain['B']['cfg_options'] = {'default_hooks.checkpoint': None}\n",
     'has no default_hooks.checkpoint'),
    ("pretrain['B']['cfg_options'] = {'train_cfg': dict(type='IterBasedT"
     "rainLoop', max_iters=8)}\n", 'not epoch-based'),
])
def test_checkpoint_errors_name_the_method(curves_study, extra, message):
    root, launches = curves_study
    write_curves_study(root / 'study.py', extra)
    with pytest.raises(SystemExit) as err:
        study()
    assert str(err.value).startswith('[study] study.py: ')
    assert message in str(err.value)
    assert launches == []


def test_checkpoints_at_the_last_epoch_need_no_interval(curves_study):
    root, _ = curves_study
    write_curves_study(root / 'study.py', "pretrain['B']['cfg_options'] = "
                       "{'default_hooks.checkpoint.interval': 3}\n"
                       "pretrain['B']['checkpoints'] = [3, 6, 8]\n")
    s = st.load_study(root / 'study.py')
    assert s.methods[2].checkpoints == (3, 6, 8)
    assert s.methods[2].cfg_options == {
        'default_hooks.checkpoint.interval': 3,
        'default_hooks.checkpoint.max_keep_ckpts': -1}
    assert s.methods[0].checkpoints == () and s.methods[0].cfg_options == {}

"""tools/demo.py: the default demo runs the Swin SG-MIM / SimMIM steps only;
``--with-lut`` adds MAE and LUT ViT-nano pre-training and the classification
fine-tuning, each a real tool run here (tiny budgets), and a second table
whose numbers are those the runs logged and tested."""
import json
import re
from pathlib import Path

import pytest
from tool_helpers import load_tool

demo = load_tool('demo.py')
FAKE_METRICS = {'mIoU': 10.0, 'aAcc': 50.0, 'd1': 0.5, 'abs_rel': 0.3,
                'rmse': 1.0, 'accuracy/top1': 25.0}
# one epoch of the workspace's 32 images, in-process data loading
TINY = {
    'train.py': ['--cfg-options', 'train_cfg.max_epochs=1',
                 'train_dataloader.num_workers=0',
                 'train_dataloader.persistent_workers=False'],
    'test.py': ['--cfg-options', 'test_dataloader.num_workers=0',
                'test_dataloader.persistent_workers=False'],
}


def fake_step(script, args, log):
    """Write what a step leaves behind (checkpoint pointer, logged
    losses, test metrics) without running it."""
    run_dir = Path(args[args.index('--work-dir') + 1])
    stamp = run_dir / '20000101_000000'
    stamp.mkdir(parents=True)
    if script == 'train.py':
        (run_dir / 'epoch_1.pth').touch()
        (run_dir / 'last_checkpoint').write_text(str(run_dir / 'epoch_1.pth'))
        (stamp / 'vis_data').mkdir()
        (stamp / 'vis_data/scalars.json').write_text(
            '{"loss": 1.0}\n{"loss": 0.5}\n')
    else:
        (stamp / '20000101_000000.json').write_text(json.dumps(FAKE_METRICS))
    Path(log).write_text('faked\n')
    return 0, 0.0


@pytest.fixture
def launches(synth_workspace, monkeypatch):
    """Every tool launch of the demo as (script, config, args); the Swin
    steps and the ViT-nano fine-tuning from random initialisation (the same
    code path as the Swin ones) faked, MAE and LUT pre-training and the
    fine-tuning and testing of their encoders run for real in
    ``synth_workspace``."""
    calls = []
    swin = {str(p) for p in [*demo.PRETRAIN.values(),
                             *demo.TRANSFER.values()]}

    def run(script, args, log, cwd=None):
        args = [str(a) for a in args]
        calls.append((script, Path(args[0]).name, args))
        vit_random = 'classification_random' in args[args.index(
            '--work-dir') + 1]
        if args[0] in swin or vit_random:
            return fake_step(script, args, log)
        return real(script, args + TINY[script], log, cwd=cwd)

    real = demo.run_tool
    monkeypatch.setattr(demo, 'run_tool', run)
    monkeypatch.setattr(demo, 'REPO', synth_workspace)
    return calls


def test_default_demo_has_no_lut_steps(launches, tmp_path, capsys):
    demo.main(['--work-dir', str(tmp_path / 'demo')])
    configs = {config for _, config, _ in launches}
    assert len(launches) == 2 + 3 * 4  # 2 pre-trainings, 3 x 2 x (train+test)
    assert not any('vit' in c for c in configs)
    out = capsys.readouterr().out
    assert '| SG-MIM       | 1.000 -> 0.500 | 10.00 |' in out
    assert 'ViT-nano init' not in out


def test_with_lut_adds_mae_lut_and_classification(launches, tmp_path,
                                                  capsys):
    work_dir = tmp_path / 'demo'
    demo.main(['--work-dir', str(work_dir), '--with-lut'])
    vit = [(s, c, a) for s, c, a in launches if 'vit' in c]
    assert [(s, c) for s, c, _ in vit] == [
        ('train.py', 'vit-nano-p16_1xb16-coslr-5e_synthscenes-96px.py'),
        ('test.py', 'vit-nano-p16_1xb16-coslr-5e_synthscenes-96px.py'),
        ('train.py', 'mae_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py'),
        ('train.py', 'vit-nano-p16_1xb16-coslr-5e_synthscenes-96px.py'),
        ('test.py', 'vit-nano-p16_1xb16-coslr-5e_synthscenes-96px.py'),
        ('train.py', 'lut_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py'),
        ('train.py', 'vit-nano-p16_1xb16-coslr-5e_synthscenes-96px.py'),
        ('test.py', 'vit-nano-p16_1xb16-coslr-5e_synthscenes-96px.py')]
    # each fine-tuning starts from its method's last pre-training checkpoint
    for method, at in (('mae', 3), ('lut', 6)):
        checkpoint = (work_dir / f'pretrain_{method}' /
                      'last_checkpoint').read_text().strip()
        assert (f'model.backbone.init_cfg.checkpoint={checkpoint}'
                in vit[at][2])
        log = work_dir / f'classification ({method.upper()}).log'
        assert re.search(r'load backbone\. in \w+ from: ' +
                         re.escape(checkpoint), log.read_text())
    assert not any('init_cfg.checkpoint' in a for a in vit[0][2])

    out = capsys.readouterr().out
    rows = {m.group(1): m.groups()[1:] for m in re.finditer(
        r'^\| (random|MAE|LUT) +\| (.+?) +\| (.+?) +\| +([\d.]+) \|$', out,
        re.M)}
    assert set(rows) == {'random', 'MAE', 'LUT'}
    assert rows['random'][2] == '25.00'
    for name in ('MAE', 'LUT'):
        tested, = (work_dir / f'classification_{name.lower()}' /
                   'test').glob('*/*.json')
        top1 = json.loads(tested.read_text())['accuracy/top1']
        assert float(rows[name][2]) == pytest.approx(top1, abs=6e-3)
    assert rows['random'][:2] == ('-', '-')
    mae = demo.logged_losses(work_dir / 'pretrain_mae')
    assert rows['MAE'] == (f'{mae[0]:.3f} -> {mae[-1]:.3f}', '-',
                           rows['MAE'][2])
    lut = demo.logged_losses(work_dir / 'pretrain_lut', 'loss_mae')
    ctx = demo.logged_losses(work_dir / 'pretrain_lut', 'loss_ctx')
    assert lut and ctx
    assert rows['LUT'][:2] == (f'{lut[0]:.3f} -> {lut[-1]:.3f}',
                               f'{ctx[0]:.3f} -> {ctx[-1]:.3f}')

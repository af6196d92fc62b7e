"""The synth LUT configs through tools/train.py and tools/dist_train.sh, as a
user would run them: LUT's resume reproduces the uninterrupted run (losses
and teacher), and LUT on SimMIM trains in two gloo processes (the two share
the teacher and its state handling; one run each keeps the suite short)."""

import pytest
import torch
from tool_helpers import (CONFIGS, free_port, run_tool, scalars,
                          train_straight_and_resumed)

from sgmim.utils import load_checkpoint_file

LUT = CONFIGS / 'synth/lut_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py'
LUT_SIMMIM = CONFIGS / ('synth/lut-simmim_vit-nano-p16_1xb16-coslr-20e_'
                        'synthscenes-96px.py')


def logged(work_dir, key):
    return {r['iter']: r[key] for r in scalars(work_dir) if key in r}


def test_resume_restores_the_teacher(synth_workspace, tmp_path):
    """32 images, batch 16: 2 iterations per epoch. The interrupted run
    stops after epoch 1 (max_epochs=1), so the momentum schedule's length
    is fixed at the 4 iterations of the 2-epoch run (``momentum_iters``;
    by default it is the run's max_iters, which the interruption changes
    here)."""
    config, key = LUT, 'loss_mae'
    straight, interrupted, _ = train_straight_and_resumed(
        config, tmp_path, synth_workspace,
        ['default_hooks.logger.interval=1', 'model.momentum_iters=4'])
    for name in (key, 'loss_ctx', 'ema_momentum'):
        expected, resumed = logged(straight, name), logged(interrupted, name)
        assert set(expected) == {1, 2, 3, 4} and {3, 4} <= set(resumed)
        for it in (3, 4):
            assert resumed[it] == pytest.approx(expected[it], rel=1e-5), \
                (name, it)
    a = load_checkpoint_file(str(straight / 'epoch_2.pth'))['state_dict']
    b = load_checkpoint_file(str(interrupted / 'epoch_2.pth'))['state_dict']
    teacher = [k for k in a if k.startswith('teacher.')]
    assert 'teacher.steps' in teacher and int(a['teacher.steps']) == 4
    for k in teacher:
        torch.testing.assert_close(b[k], a[k], rtol=1e-5, atol=1e-7,
                                   msg=k)



def test_dist_train_two_cpu_processes(synth_workspace, tmp_path):
    work_dir = tmp_path / 'dist'
    proc = run_tool('dist_train.sh', LUT_SIMMIM, 2, '--work-dir', work_dir,
                    '--cfg-options', 'train_cfg.max_epochs=1',
                    'train_dataloader.batch_size=8',
                    cwd=synth_workspace, env=dict(PORT=str(free_port())))
    log = proc.stdout + proc.stderr
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log
    # 32 images, 8 per process, 2 processes: 2 iterations per epoch
    assert max(logged(work_dir, 'loss_ctx')) == 2
    assert max(logged(work_dir, 'loss_simmim')) == 2
    state = load_checkpoint_file(str(work_dir / 'epoch_1.pth'))['state_dict']
    assert int(state['teacher.steps']) == 2

"""tools/train.py, tools/test.py and tools/dist_train.sh driven as a user
would, on generated SynthScenes data."""
import pytest
from tool_helpers import (CONFIGS, free_port, run_tool, scalars,
                          train_straight_and_resumed)

from sgmim.utils import load_checkpoint_file

SIMMIM = CONFIGS / 'synth/simmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py'
UPERNET = CONFIGS / ('synth/upernet_swin-nano-w7_1xb4-40it_'
                     'synthscenes-ade-128x128.py')
MASK_RCNN = CONFIGS / ('synth/mask-rcnn_swin-nano-w7_fpn_1xb4-40it_'
                       'synthscenes-coco-128.py')


def train_losses(work_dir):
    return {r['iter']: r['loss'] for r in scalars(work_dir) if 'loss' in r}


def test_resume_continues_with_same_losses(synth_workspace, tmp_path):
    """The shipped dataloader (2 persistent workers): the resumed run's
    fresh workers give every sample the draws of the uninterrupted run.
    (SG-MIM's resume: tests/test_tools/test_mto_train.py, with MTO on.)"""
    straight, interrupted, proc = train_straight_and_resumed(
        SIMMIM, tmp_path, synth_workspace,
        ['default_hooks.logger.interval=1'])
    log = proc.stdout + proc.stderr
    assert "'num_workers': 2" in log or 'num_workers=2' in log
    assert 'persistent_workers=True' in log

    expected = train_losses(straight)
    resumed = train_losses(interrupted)
    iters_per_epoch = len(expected) // 2
    second_epoch = range(iters_per_epoch + 1, 2 * iters_per_epoch + 1)
    assert set(second_epoch) <= set(resumed)
    for it in second_epoch:
        assert resumed[it] == pytest.approx(expected[it], rel=1e-5), it
    assert (interrupted / 'epoch_2.pth').is_file()


def test_iteration_based_resume_continues_with_same_losses(synth_workspace,
                                                          tmp_path):
    """UperNet (InfiniteSampler, 2 persistent workers) with
    ``randomness.seed=None`` as in the full-size transfer configs,
    interrupted at iteration 4 of 8: 2 iterations per pass over the 8
    training images, so the resumed run replays 2 passes (mmengine advances
    the dataloader) and crosses 2 more. The uninterrupted run is given the
    seed the interrupted one drew."""
    options = ['default_hooks.logger.interval=1', 'train_cfg.val_interval=100',
               'default_hooks.checkpoint.interval=4']
    interrupted = tmp_path / 'interrupted'
    run_tool('train.py', UPERNET, '--work-dir', interrupted, '--cfg-options',
             'train_cfg.max_iters=4', 'randomness.seed=None', *options,
             cwd=synth_workspace)
    checkpoint = load_checkpoint_file(str(interrupted / 'iter_4.pth'))
    seed = checkpoint['meta']['seed']
    run_tool('train.py', UPERNET, '--work-dir', interrupted, '--resume',
             '--cfg-options', 'train_cfg.max_iters=8', 'randomness.seed=None',
             *options, cwd=synth_workspace)
    straight = tmp_path / 'straight'
    run_tool('train.py', UPERNET, '--work-dir', straight, '--cfg-options',
             'train_cfg.max_iters=8', f'randomness.seed={seed}', *options,
             cwd=synth_workspace)

    expected = train_losses(straight)
    resumed = train_losses(interrupted)
    assert set(range(5, 9)) <= set(resumed)
    for it in range(5, 9):
        assert resumed[it] == pytest.approx(expected[it], rel=1e-5), it


def test_upernet_trains_saves_and_tests(synth_workspace, tmp_path):
    work_dir = tmp_path / 'upernet'
    run_tool('train.py', UPERNET, '--work-dir', work_dir, '--cfg-options',
             'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
             'default_hooks.checkpoint.interval=4', cwd=synth_workspace)
    records = scalars(work_dir)
    assert any('mIoU' in r for r in records)
    out = tmp_path / 'preds.pkl'
    proc = run_tool('test.py', UPERNET, work_dir / 'iter_4.pth', '--work-dir',
                    tmp_path / 'upernet_test', '--out', out,
                    cwd=synth_workspace)
    assert 'mIoU' in proc.stdout + proc.stderr
    assert out.stat().st_size > 0

    show_dir = tmp_path / 'show'
    proc = run_tool('test.py', UPERNET, work_dir / 'iter_4.pth', '--work-dir',
                    tmp_path / 'upernet_tta', '--tta', '--show-dir', show_dir,
                    cwd=synth_workspace)
    assert 'SegTTAModel' in proc.stdout + proc.stderr
    assert 'mIoU' in proc.stdout + proc.stderr
    assert len(list(show_dir.rglob('*.png'))) == 4  # one per val image


def test_mask_rcnn_trains_saves_and_tests(synth_workspace, tmp_path):
    work_dir = tmp_path / 'mask_rcnn'
    run_tool('train.py', MASK_RCNN, '--work-dir', work_dir, '--cfg-options',
             'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
             'default_hooks.checkpoint.interval=4', cwd=synth_workspace)
    # After 4 iterations no score clears the default 0.05 threshold.
    proc = run_tool('test.py', MASK_RCNN, work_dir / 'iter_4.pth',
                    '--work-dir', tmp_path / 'mask_rcnn_test',
                    '--cfg-options', 'model.test_cfg.rcnn.score_thr=0.0',
                    cwd=synth_workspace)
    log = proc.stdout + proc.stderr
    assert 'coco/bbox_mAP' in log and 'coco/segm_mAP' in log



def test_dist_train_two_cpu_processes(synth_workspace, tmp_path):
    work_dir = tmp_path / 'dist'
    proc = run_tool('dist_train.sh', SIMMIM, 2, '--work-dir', work_dir,
                    '--cfg-options', 'train_cfg.max_epochs=1',
                    'train_dataloader.batch_size=8',
                    cwd=synth_workspace, env=dict(PORT=str(free_port())))
    log = proc.stdout + proc.stderr
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    assert (work_dir / 'epoch_1.pth').is_file()
    # 32 images, 8 per process, 2 processes: 2 iterations per epoch.
    assert max(train_losses(work_dir)) == 2

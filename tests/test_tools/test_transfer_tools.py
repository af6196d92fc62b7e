"""The synth depth and classification configs train, save, test and resume
through tools/train.py and tools/test.py."""
import re

import pytest
from mmengine.config import Config
from tool_helpers import CONFIGS, load_tool, run_tool, scalars

DEPTH = {
    'nyu': 'glpdepth_swin-nano-w3_1xb4-200it_synthscenes-nyu-96x96.py',
    'kitti': 'glpdepth_swin-nano-w3_1xb4-200it_synthscenes-kitti-64x64.py',
}
CLASSIFICATION = CONFIGS / 'synth/swin-nano-w3_1xb16-coslr-5e_synthscenes-96px.py'
DEPTH_METRICS = ('d1', 'd2', 'd3', 'abs_rel', 'sq_rel', 'rmse', 'rmse_log',
                 'log10', 'silog')


@pytest.mark.parametrize('name', DEPTH)
def test_depth_trains_resumes_and_tests(synth_workspace, tmp_path, name):
    config = CONFIGS / 'synth' / DEPTH[name]
    work_dir = tmp_path / name
    options = ['train_cfg.val_interval=4', 'default_hooks.checkpoint.interval=2',
               'default_hooks.logger.interval=1']
    run_tool('train.py', config, '--work-dir', work_dir, '--cfg-options',
             'train_cfg.max_iters=2', *options, cwd=synth_workspace)
    proc = run_tool('train.py', config, '--work-dir', work_dir, '--resume',
                    '--cfg-options', 'train_cfg.max_iters=4', *options,
                    cwd=synth_workspace)
    assert 'resumed epoch: 0, iter: 2' in proc.stdout + proc.stderr
    assert (work_dir / 'iter_4.pth').is_file()
    validation = [r for r in scalars(work_dir) if 'rmse' in r]
    assert validation and set(DEPTH_METRICS) <= set(validation[-1])

    proc = run_tool('test.py', config, work_dir / 'iter_4.pth', '--work-dir',
                    tmp_path / 'test', cwd=synth_workspace)
    values = depth_metrics(proc)
    assert 0 <= values['d1'] <= values['d2'] <= values['d3'] <= 1
    assert values['rmse'] > 0


def depth_metrics(proc):
    """The depth metrics of the ``Iter(test)`` line of a test.py run."""
    line = next(line for line in (proc.stdout + proc.stderr).splitlines()
                if 'Iter(test)' in line and 'rmse' in line)
    values = dict(re.findall(r'(\w+): ([\d.]+)', line))
    return {name: float(values[name]) for name in DEPTH_METRICS}


def test_depth_tta_flips_in_the_estimator(synth_workspace, tmp_path):
    """``--tta`` on a depth config switches on the estimator's flip
    averaging (mmseg's SegTTAModel, inherited from its default runtime,
    merges segmentation logits and crashed here): with the config's
    ``test_cfg.flip`` turned off, ``--tta`` gives the metrics of the config
    as shipped (flip on)."""
    config = CONFIGS / 'synth' / DEPTH['nyu']
    work_dir = tmp_path / 'nyu'
    run_tool('train.py', config, '--work-dir', work_dir, '--cfg-options',
             'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=2',
             cwd=synth_workspace)
    checkpoint = work_dir / 'iter_2.pth'
    shipped = run_tool('test.py', config, checkpoint, '--work-dir',
                       tmp_path / 'test', cwd=synth_workspace)
    tta = run_tool('test.py', config, checkpoint, '--tta', '--work-dir',
                   tmp_path / 'tta', '--cfg-options',
                   'model.test_cfg.flip=False', cwd=synth_workspace)
    log = tta.stdout + tta.stderr
    assert '--tta: SlidingDepthEstimator averages the prediction' in log
    assert depth_metrics(tta) == depth_metrics(shipped)


def test_tta_choice_by_model():
    """A depth estimator without flip TTA is refused with a pointer; a
    segmentor keeps mmseg's SegTTAModel."""
    tool = load_tool('test.py')
    seg_tta = dict(type='SegTTAModel')
    depth = Config(dict(default_scope='mmseg', tta_model=seg_tta,
                        model=dict(type='DepthEstimator')))
    with pytest.raises(ValueError, match='DepthEstimator has no flip'):
        tool.enable_tta(depth)
    segmentor = Config(dict(default_scope='mmseg', tta_model=seg_tta,
                            model=dict(type='EncoderDecoder')))
    assert tool.estimator_flip_class(segmentor) is None


def test_classification_trains_and_tests(synth_workspace, tmp_path):
    work_dir = tmp_path / 'cls'
    run_tool('train.py', CLASSIFICATION, '--work-dir', work_dir,
             '--cfg-options', 'train_cfg.max_epochs=1',
             'train_cfg.val_interval=1', cwd=synth_workspace)
    proc = run_tool('test.py', CLASSIFICATION, work_dir / 'epoch_1.pth',
                    '--work-dir', tmp_path / 'test', cwd=synth_workspace)
    assert 'accuracy/top1' in proc.stdout + proc.stderr

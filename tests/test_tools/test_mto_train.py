"""The synth MTO configs through tools/train.py as a user would run them:
each term is logged on its own, a resumed MTO-SimMIM run reproduces the
uninterrupted one, and MTO on MAE and on SG-MIM (Swin stages) trains."""
import math

import pytest
from tool_helpers import CONFIGS, run_tool, scalars

SYNTH = CONFIGS / 'synth'
TERMS = ('loss_mto_spa', 'loss_mto_e', 'loss_mto_r')


def logged(work_dir, key):
    return {r['iter']: r[key] for r in scalars(work_dir) if key in r}


def test_resume_reproduces_the_mto_losses(synth_workspace, tmp_path):
    """32 images, batch 16: 2 iterations per epoch; the interrupted run
    stops after epoch 1 and resumes for epoch 2."""
    config = SYNTH / ('mto-simmim_vit-nano-p16_1xb16-coslr-20e_'
                      'synthscenes-96px.py')
    options = ['default_hooks.logger.interval=1']
    straight = tmp_path / 'straight'
    run_tool('train.py', config, '--work-dir', straight, '--cfg-options',
             'train_cfg.max_epochs=2', *options, cwd=synth_workspace)
    interrupted = tmp_path / 'interrupted'
    run_tool('train.py', config, '--work-dir', interrupted, '--cfg-options',
             'train_cfg.max_epochs=1', *options, cwd=synth_workspace)
    run_tool('train.py', config, '--work-dir', interrupted, '--resume',
             '--cfg-options', 'train_cfg.max_epochs=2', *options,
             cwd=synth_workspace)
    for name in ('loss', *TERMS, 'mto_heterogeneity_first',
                 'mto_heterogeneity_last'):
        expected, resumed = logged(straight, name), logged(interrupted, name)
        assert set(expected) == {1, 2, 3, 4} and {3, 4} <= set(resumed), name
        for it in (3, 4):
            assert resumed[it] == pytest.approx(expected[it], rel=1e-5), \
                (name, it)
    # the logged loss is the total: SimMIM's L1 plus the three terms
    for record in (r for r in scalars(straight) if 'loss_mto_e' in r):
        assert record['loss'] == pytest.approx(
            record['loss_simmim'] + sum(record[k] for k in TERMS), rel=1e-4)


@pytest.mark.parametrize('name', [
    'mto-mae_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py',
    'mto-sgmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py'])
def test_mto_trains_on_mae_and_sgmim(synth_workspace, tmp_path, name):
    work_dir = tmp_path / 'run'
    run_tool('train.py', SYNTH / name, '--work-dir', work_dir,
             '--cfg-options', 'train_cfg.max_epochs=1',
             'default_hooks.logger.interval=1', cwd=synth_workspace)
    records = [r for r in scalars(work_dir) if 'loss_mto_e' in r]
    assert [r['iter'] for r in records] == [1, 2]
    for record in records:
        assert all(math.isfinite(record[k]) for k in TERMS)
        # H^0 lies in [0, log |V|]: MAE keeps 9 of 36 patches; SG-MIM's
        # image mask hides 5 of 9 cells of 8 x 8 patches (4 x 64 visible)
        assert 0 <= record['mto_heterogeneity_first'] <= math.log(
            256 if 'sgmim' in name else 9) + 1e-6

"""The synth MTO configs through tools/train.py as a user would run them:
each term is logged on its own, a resumed SG-MIM + MTO run (Swin stages)
reproduces the uninterrupted one, and MTO on MAE trains (SimMIM + MTO is
the same switch: tests/test_models/test_algorithms/test_mto.py)."""
import math

import pytest
from tool_helpers import (CONFIGS, run_tool, scalars,
                          train_straight_and_resumed)

SYNTH = CONFIGS / 'synth'
TERMS = ('loss_mto_spa', 'loss_mto_e', 'loss_mto_r')


def logged(work_dir, key):
    return {r['iter']: r[key] for r in scalars(work_dir) if key in r}


def test_resume_reproduces_sgmim_with_mto(synth_workspace, tmp_path):
    """SG-MIM + MTO on Swin (the stage rule, the Siamese-proof capture):
    32 images, batch 16, 2 iterations per epoch; the interrupted run stops
    after epoch 1 and resumes for epoch 2 with the losses of the
    uninterrupted run (SG-MIM's own resume test too: MTO adds hooks only)."""
    straight, interrupted, _ = train_straight_and_resumed(
        SYNTH / 'mto-sgmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py',
        tmp_path, synth_workspace, ['default_hooks.logger.interval=1'])
    for name in ('loss', 'loss_img', 'loss_structure', *TERMS,
                 'mto_heterogeneity_first', 'mto_heterogeneity_last'):
        expected, resumed = logged(straight, name), logged(interrupted, name)
        assert set(expected) == {1, 2, 3, 4} and {3, 4} <= set(resumed), name
        for it in (3, 4):
            assert resumed[it] == pytest.approx(expected[it], rel=1e-5), \
                (name, it)
    for record in (r for r in scalars(straight) if 'loss_mto_e' in r):
        # the logged loss is the total; H^0 lies in [0, log |V|]: the image
        # mask hides 5 of 9 cells of 8 x 8 patches (4 x 64 visible)
        assert record['loss'] == pytest.approx(
            record['loss_img'] + record['loss_structure'] +
            sum(record[k] for k in TERMS), rel=1e-4)
        assert 0 <= record['mto_heterogeneity_first'] <= math.log(256) + 1e-6


def test_mto_trains_on_mae(synth_workspace, tmp_path):
    """MAE + MTO (the decoder's tokens, MAE's own mask): MAE's loss logged as
    loss_mae, the total as loss."""
    work_dir = tmp_path / 'run'
    config = SYNTH / 'mto-mae_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py'
    run_tool('train.py', config, '--work-dir', work_dir, '--cfg-options',
             'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1',
             cwd=synth_workspace)
    records = [r for r in scalars(work_dir) if 'loss_mto_e' in r]
    assert [r['iter'] for r in records] == [1, 2]
    for record in records:
        assert record['loss'] == pytest.approx(
            record['loss_mae'] + sum(record[k] for k in TERMS), rel=1e-4)
        # MAE keeps 9 of the 36 patches: H^0 <= log 9
        assert 0 <= record['mto_heterogeneity_first'] <= math.log(9) + 1e-6

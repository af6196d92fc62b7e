"""The synth MeSa chain as a user runs it: stage 2 (geometric) -> stage 3
(supervised) -> NYUv2-layout depth fine-tuning -> the iBims-layout test,
each through tools/train.py / tools/test.py, each stage starting from the
last one's encoder through ``model.backbone.init_cfg.checkpoint``."""
import math

import pytest
import torch
from tool_helpers import CONFIGS, run_tool, scalars

from mmpretrain.registry import MODELS
from sgmim.datasets.synthscenes import generate
from sgmim.models.utils.load_report import load_with_report
from sgmim.models.utils.optional_pretrained_init import encoder_state_dict
from sgmim.utils import load_checkpoint_file

SYNTH = CONFIGS / 'synth'
STAGE2 = SYNTH / ('mesa-geometric_swinv2-nano-w3_1xb4-40it_synthscenes-'
                  'traj-96x128.py')
STAGE3 = SYNTH / ('mesa-supervised_swinv2-nano-w3_1xb4-40it_synthscenes-'
                  'traj-96x128.py')
DEPTH = SYNTH / 'glpdepth_swinv2-nano-w3_1xb4-200it_synthscenes-nyu-96x96.py'
IBIMS = SYNTH / ('glpdepth_swinv2-nano-w3_1xb4-200it_synthscenes-nyu-96x96_'
                 'ibims-160x120.py')
SHORT = ['train_cfg.max_iters=1', 'default_hooks.checkpoint.interval=1',
         'default_hooks.logger.interval=1']


@pytest.fixture(scope='module')
def mesa_workspace(tmp_path_factory):
    """One trajectory (6 frames, 4 snippets), the NYUv2 layout and two
    iBims-layout rooms."""
    workspace = tmp_path_factory.mktemp('mesa')
    generate(workspace / 'data' / 'synthscenes', seed=0,
             subsets=('nyu', 'trajectories', 'ibims'), num_train=8,
             num_val=4, num_trajectories=1, num_val_trajectories=0,
             num_ibims=2)
    return workspace


def train(config, work_dir, workspace, checkpoint=None, extra=()):
    options = list(SHORT) + list(extra)
    if checkpoint is not None:
        options.append(f'model.backbone.init_cfg.checkpoint={checkpoint}')
    run_tool('train.py', config, '--work-dir', work_dir, '--cfg-options',
             *options, cwd=workspace)
    return work_dir / 'iter_1.pth'


def test_chain_stage2_stage3_finetune_ibims(mesa_workspace, tmp_path):
    stage2 = train(STAGE2, tmp_path / 'stage2', mesa_workspace)
    records = [r for r in scalars(tmp_path / 'stage2') if 'loss_photo' in r]
    assert [r['iter'] for r in records] == [1]
    for key in ('loss_photo', 'loss_geometry', 'loss_smooth',
                'loss_rot_consistency', 'loss_rot_triplet'):
        assert all(math.isfinite(r[key]) for r in records), key

    stage3 = train(STAGE3, tmp_path / 'stage3', mesa_workspace, stage2)
    records = [r for r in scalars(tmp_path / 'stage3') if 'loss_photo' in r]
    assert {'loss_normal', 'loss_ranking', 'loss_relative_normal'} <= set(
        records[-1])
    assert 'loss_smooth' not in records[-1]

    # each stage's encoder loads into the next with zero missing keys
    from mmengine.config import Config
    backbone = Config.fromfile(str(STAGE3)).model.backbone
    backbone.pop('init_cfg')
    encoder = MODELS.build(backbone)
    state = encoder_state_dict(load_checkpoint_file(str(stage2)),
                               'backbone.')
    assert load_with_report(encoder, state) == ([], [], [])
    loaded = encoder_state_dict(load_checkpoint_file(str(stage3)),
                                'backbone.')
    assert not all(torch.equal(state[k], loaded[k]) for k in state)

    depth = train(DEPTH, tmp_path / 'depth', mesa_workspace, stage3,
                  extra=['train_cfg.val_interval=100'])
    proc = run_tool('test.py', IBIMS, depth, '--work-dir',
                    tmp_path / 'ibims', cwd=mesa_workspace)
    log = proc.stdout + proc.stderr
    for key in ('dbe_acc', 'dbe_comp', 'pe_plan', 'pe_orient', 'dde_0',
                'abs_rel'):
        assert key in log, key

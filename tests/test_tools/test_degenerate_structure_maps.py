"""Degenerate (all-zero) pseudo-depth maps in SG-MIM pre-training: each is
warned about by name, counted per epoch in the log, and too many stop the
run."""
import shutil

import cv2
import numpy as np
from tool_helpers import CONFIGS, run_tool

SGMIM = CONFIGS / ('synth/sgmim_swin-nano-w3_1xb16-coslr-20e_'
                   'synthscenes-96px.py')
ONE_SHORT_EPOCH = ['train_cfg.max_epochs=1', 'train_dataloader.batch_size=8',
                   'default_hooks.checkpoint.interval=0']


def workspace_with_zero_maps(synth_workspace, tmp_path, count):
    """A copy of the shared workspace whose first ``count`` pseudo-depth
    maps (of 32) are all zeros; returns it and the maps' relative paths."""
    workspace = tmp_path / 'workspace'
    shutil.copytree(synth_workspace / 'data', workspace / 'data')
    maps = sorted((workspace / 'data/synthscenes/imagenet/pseudo_depth/'
                   'train').glob('*/*.png'))[:count]
    for path in maps:
        shape = cv2.imread(str(path), cv2.IMREAD_UNCHANGED).shape
        assert cv2.imwrite(str(path), np.zeros(shape, np.uint16))
    return workspace, [str(path.relative_to(workspace)) for path in maps]


def test_zero_maps_are_named_and_counted_with_workers(synth_workspace,
                                                      tmp_path):
    workspace, zeroed = workspace_with_zero_maps(synth_workspace, tmp_path, 3)
    proc = run_tool('train.py', SGMIM, '--work-dir', tmp_path / 'work',
                    '--cfg-options', *ONE_SHORT_EPOCH,
                    'train_dataloader.num_workers=2', cwd=workspace)
    output = proc.stdout + proc.stderr
    for path in zeroed:  # warned in the worker that loaded it
        assert f'degenerate structure_map {path} (of image ' in output
    assert ('3 of 32 structure maps (9.4%) were degenerate in epoch 1, '
            'e.g. ') in output


def test_too_many_zero_maps_stop_the_run(synth_workspace, tmp_path):
    workspace, zeroed = workspace_with_zero_maps(synth_workspace, tmp_path, 8)
    proc = run_tool('train.py', SGMIM, '--work-dir', tmp_path / 'work',
                    '--cfg-options', *ONE_SHORT_EPOCH,
                    'train_dataloader.num_workers=0',
                    'train_dataloader.persistent_workers=False',
                    cwd=workspace, check=False)
    assert proc.returncode != 0
    message = proc.stderr.strip().splitlines()[-1]
    assert message.startswith(
        'sgmim.datasets.transforms.loading.StructureMapError: 8 of 32 '
        'structure maps (25.0%) were degenerate in epoch 1, e.g. ')
    assert message.endswith('more than max_degenerate_fraction=0.1')
    assert any(path in message for path in zeroed)

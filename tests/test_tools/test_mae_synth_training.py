"""The synth MAE config trains through tools/train.py as a user would, with
LUT's square-root ``--auto-scale-lr``."""
import math

from tool_helpers import CONFIGS, run_tool, scalars

from sgmim.utils import load_checkpoint_file

MAE = CONFIGS / 'synth/mae_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py'


def test_synth_mae_trains_one_epoch(synth_workspace, tmp_path):
    """32 images at batch 8: 4 iterations; lr 1e-3 for batch 16 becomes
    1e-3·√(8/16) under the config's rule='sqrt'."""
    work = tmp_path / 'work'
    proc = run_tool('train.py', MAE, '--work-dir', work, '--auto-scale-lr',
                    '--cfg-options', 'train_cfg.max_epochs=1',
                    'train_dataloader.batch_size=8',
                    'train_dataloader.num_workers=0',
                    'train_dataloader.persistent_workers=False',
                    'default_hooks.logger.interval=1', cwd=synth_workspace)
    log = proc.stdout + proc.stderr
    factor = math.sqrt(8 / 16)
    assert f'the sqrt rule scales the LR by {factor:.6g}' in log
    losses = [r['loss'] for r in scalars(work) if 'loss' in r]
    assert len(losses) == 4 and all(math.isfinite(x) and x > 0
                                    for x in losses)
    state = load_checkpoint_file(str(work / 'epoch_1.pth'))['state_dict']
    assert {k.split('.')[0] for k in state} == {'backbone', 'neck'}
    assert state['neck.decoder_pred.weight'].shape == (16 * 16 * 3, 32)
    assert state['backbone.pos_embed'].shape == (1, 1 + 36, 64)

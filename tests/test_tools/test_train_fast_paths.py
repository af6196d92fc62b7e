"""The synth SG-MIM config on the fast path, fused window attention and a
compiled forward, trains and resumes through ``tools/train.py`` as the
eager one does, and writes checkpoints the eager model loads."""
import pytest
import torch
from mmengine.config import Config
from tool_helpers import (CONFIGS, scalars, train_straight_and_resumed)

from sgmim.benchmarking.benchmark import build_model
from sgmim.utils import load_checkpoint_file

SGMIM = CONFIGS / ('synth/sgmim_swin-nano-w3_1xb16-coslr-20e_'
                   'synthscenes-96px.py')


def test_fused_and_compiled_sgmim_resumes_with_same_losses(synth_workspace,
                                                           tmp_path):
    cfg = Config.fromfile(str(SGMIM))
    cfg.custom_hooks = [*cfg.custom_hooks,
                        dict(type='FusedWindowAttentionHook')]
    config = tmp_path / 'sgmim_fused.py'
    cfg.dump(str(config))
    # dynamo's own backend: the compiled path without inductor's C++ build
    straight, interrupted, resumed = train_straight_and_resumed(
        config, tmp_path, synth_workspace,
        ['default_hooks.logger.interval=1', 'compile.backend=eager'])
    log = resumed.stdout + resumed.stderr
    assert 'FusedWindowAttentionHook: 5 window attention modules' in log
    assert "compiled the forward of SGMIM with torch.compile({'backend': " \
        "'eager'})" in log

    def losses(work_dir):
        return {r['iter']: r['loss'] for r in scalars(work_dir)
                if 'loss' in r}

    expected, got = losses(straight), losses(interrupted)
    second_epoch = [it for it in expected if it > len(expected) // 2]
    assert second_epoch and set(second_epoch) <= set(got)
    for it in second_epoch:
        assert got[it] == pytest.approx(expected[it], rel=1e-5), it

    state = load_checkpoint_file(interrupted / 'epoch_2.pth')['state_dict']
    eager, _ = build_model(str(SGMIM))
    eager.load_state_dict(state)  # strict: the eager model's keys
    assert not [key for key in state if '_orig_mod' in key]
    assert all(torch.equal(eager.state_dict()[key], value)
               for key, value in state.items())

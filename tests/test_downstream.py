"""A downstream repository inherits an sgmim config after installation."""
import subprocess
import sys
import textwrap

from tool_helpers import REPO, scalars

DOWNSTREAM_TRAIN = '''
import sys

import sgmim  # noqa: F401  -- the one line a downstream train.py needs
from mmengine.config import Config
from mmengine.runner import Runner

cfg = Config.fromfile(sys.argv[1])
cfg.work_dir = sys.argv[2]
Runner.from_cfg(cfg).train()
'''

DOWNSTREAM_CONFIG = '''
_base_ = 'sgmim::synth/simmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py'
custom_imports = dict(imports=['sgmim'], allow_failed_imports=False)
train_dataloader = dict(batch_size=32)
train_cfg = dict(max_epochs=1)
'''


def test_config_inherited_from_outside_the_repo(synth_workspace, tmp_path):
    downstream = tmp_path / 'my_project'
    downstream.mkdir()
    assert REPO not in downstream.parents
    (downstream / 'train.py').write_text(DOWNSTREAM_TRAIN)
    (downstream / 'my_config.py').write_text(textwrap.dedent(DOWNSTREAM_CONFIG))
    (downstream / 'data').symlink_to(synth_workspace / 'data')
    proc = subprocess.run(
        [sys.executable, 'train.py', 'my_config.py', 'work'], cwd=downstream,
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    losses = [r['loss'] for r in scalars(downstream / 'work') if 'loss' in r]
    assert len(losses) == 1  # 32 images, batch 32: one iteration
    assert (downstream / 'work' / 'epoch_1.pth').is_file()

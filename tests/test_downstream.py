"""A downstream repository inherits an sgmim config after installation."""
import shutil
import subprocess
import sys
import textwrap

from tool_helpers import REPO, run_tool, scalars

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


MOVED_DATA_CONFIG = '''
_base_ = 'sgmim::synth/mask-rcnn_swin-nano-w7_fpn_1xb4-40it_synthscenes-coco-128.py'
data_root = 'datasets/coco/'  # reaches no dataloader: the base is resolved
'''


def test_data_root_option_moves_a_downstream_config(synth_workspace,
                                                    tmp_path):
    """The data lies elsewhere than the base config says. Setting
    ``data_root`` in the child changes nothing; ``--data-root`` moves the
    datasets and the COCO metric's ground truth."""
    downstream = tmp_path / 'my_project'
    shutil.copytree(synth_workspace / 'data/synthscenes/coco',
                    downstream / 'datasets/coco')
    (downstream / 'my_config.py').write_text(MOVED_DATA_CONFIG)
    options = ['--cfg-options', 'train_cfg.max_iters=1',
               'train_cfg.val_interval=1', 'model.test_cfg.rcnn.score_thr=0',
               'train_dataloader.num_workers=0',
               'train_dataloader.persistent_workers=False',
               'val_dataloader.num_workers=0',
               'val_dataloader.persistent_workers=False']
    proc = run_tool('train.py', 'my_config.py', '--work-dir', 'unmoved',
                    *options, cwd=downstream, check=False)
    assert proc.returncode != 0
    assert 'data/synthscenes/coco/' in proc.stderr.strip().splitlines()[-1]

    proc = run_tool('train.py', 'my_config.py', '--work-dir', 'work',
                    '--data-root', 'datasets/coco', *options, cwd=downstream)
    assert 'coco/bbox_mAP' in proc.stdout + proc.stderr
    assert (downstream / 'work' / 'iter_1.pth').is_file()

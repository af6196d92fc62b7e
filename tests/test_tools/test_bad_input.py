"""Bad input reaches the user as an error that names what is wrong."""
import shutil

import pytest
from tool_helpers import CONFIGS, run_tool

SIMMIM = CONFIGS / 'synth/simmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py'
SGMIM = CONFIGS / 'synth/sgmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py'
NYU_DEPTH = CONFIGS / ('synth/glpdepth_swin-nano-w3_1xb4-200it_'
                       'synthscenes-nyu-96x96.py')
UPERNET = CONFIGS / ('synth/upernet_swin-nano-w7_1xb4-40it_'
                     'synthscenes-ade-128x128.py')
MASK_RCNN = CONFIGS / ('synth/mask-rcnn_swin-nano-w7_fpn_1xb4-40it_'
                       'synthscenes-coco-128.py')
MAIN_PROCESS = ['train_dataloader.num_workers=0',
                'train_dataloader.persistent_workers=False']


def failure(*args, cwd):
    proc = run_tool(*args, cwd=cwd, check=False)
    assert proc.returncode != 0
    return proc.stderr.strip().splitlines()[-1]


def test_missing_config_file(tmp_path):
    message = failure('train.py', tmp_path / 'no_such_config.py', cwd=tmp_path)
    assert message == ('FileNotFoundError: config file not found: '
                       f'{tmp_path / "no_such_config.py"}')


@pytest.mark.parametrize('config, path', [
    (SIMMIM, 'data/synthscenes/imagenet/train'),
    (UPERNET, 'data/synthscenes/ade/ADEChallengeData2016/images/training'),
    (MASK_RCNN, 'data/synthscenes/coco/annotations/instances_train2017.json'),
])
def test_missing_data_root(tmp_path, config, path):
    message = failure('train.py', config, '--work-dir', tmp_path / 'work',
                      cwd=tmp_path)
    assert path in message


@pytest.mark.parametrize('damage', ['garbage', 'truncated'])
def test_corrupt_image_is_named(synth_workspace, tmp_path, damage):
    workspace = tmp_path / 'workspace'
    shutil.copytree(synth_workspace / 'data', workspace / 'data')
    image = sorted((workspace / 'data/synthscenes/imagenet/train').glob(
        '*/*.JPEG'))[3]
    data = image.read_bytes()
    image.write_bytes(b'\x00' * 64 if damage == 'garbage' else
                      data[:len(data) // 2])
    message = failure('train.py', SIMMIM, '--work-dir', tmp_path / 'work',
                      '--cfg-options', *MAIN_PROCESS, cwd=workspace)
    relative = image.relative_to(workspace)
    assert message.startswith(CORRUPT_FILE.format(relative))


EMPTY_FILE = ('sgmim.utils.image_file_errors.EmptyImageFileError: empty '
              'image file (0 bytes): {}')
CORRUPT_FILE = ('sgmim.utils.image_file_errors.CorruptImageFileError: '
                'cannot decode image file {} (')


@pytest.mark.parametrize('config, pattern, expected', [
    (SIMMIM, 'imagenet/train/*/*.JPEG', EMPTY_FILE),
    (SGMIM, 'imagenet/pseudo_depth/train/*/*.png',
     'sgmim.datasets.transforms.loading.StructureMapError: structure map {} '
     '(of image '),
    (NYU_DEPTH, 'nyu/sync/*/rgb_*.jpg', EMPTY_FILE),
    (NYU_DEPTH, 'nyu/sync/*/sync_depth_*.png', EMPTY_FILE),
    (UPERNET, 'ade/ADEChallengeData2016/annotations/training/*.png',
     EMPTY_FILE),
    (MASK_RCNN, 'coco/train2017/*.jpg', EMPTY_FILE),
], ids=['simmim-image', 'sgmim-map', 'nyu-image', 'nyu-depth', 'ade-labels',
        'coco-image'])
def test_empty_image_file_is_named(synth_workspace, tmp_path, config,
                                   pattern, expected):
    """A 0-byte file (OpenCV asserts ``!buf.empty()`` on it) is named by
    the loader that reads it, in pre-training and transfer pipelines."""
    workspace = tmp_path / 'workspace'
    shutil.copytree(synth_workspace / 'data', workspace / 'data')
    empty = sorted((workspace / 'data/synthscenes').glob(pattern))[3]
    empty.write_bytes(b'')
    message = failure('train.py', config, '--work-dir', tmp_path / 'work',
                      '--cfg-options', *MAIN_PROCESS, cwd=workspace)
    assert message.startswith(expected.format(empty.relative_to(workspace)))


@pytest.mark.parametrize('config, pattern', [
    (NYU_DEPTH, 'nyu/sync/*/sync_depth_*.png'),
    (UPERNET, 'ade/ADEChallengeData2016/annotations/training/*.png'),
], ids=['nyu-depth', 'ade-labels'])
def test_corrupt_annotation_map_is_named(synth_workspace, tmp_path, config,
                                         pattern):
    """A depth or label PNG holding garbage (the annotation loaders fail
    on it with a ``NoneType`` or PIL error that names nothing) is named."""
    workspace = tmp_path / 'workspace'
    shutil.copytree(synth_workspace / 'data', workspace / 'data')
    corrupt = sorted((workspace / 'data/synthscenes').glob(pattern))[3]
    corrupt.write_bytes(b'\x00' * 64)
    message = failure('train.py', config, '--work-dir', tmp_path / 'work',
                      '--cfg-options', *MAIN_PROCESS, cwd=workspace)
    assert message.startswith(
        CORRUPT_FILE.format(corrupt.relative_to(workspace)))


def test_truncated_checkpoint_is_named(synth_workspace, tmp_path):
    work_dir = tmp_path / 'work'
    run_tool('train.py', SIMMIM, '--work-dir', work_dir, '--cfg-options',
             'train_cfg.max_epochs=1', cwd=synth_workspace)
    checkpoint = work_dir / 'epoch_1.pth'
    data = checkpoint.read_bytes()
    checkpoint.write_bytes(data[:len(data) // 3])
    message = failure('train.py', SIMMIM, '--work-dir', work_dir, '--resume',
                      str(checkpoint), cwd=synth_workspace)
    assert message.startswith('sgmim.utils.checkpoint_loading.'
                              f'CorruptCheckpointError: checkpoint {checkpoint}'
                              ' is truncated')


def test_unregistered_type_names_module_and_scope(tmp_path):
    message = failure('train.py', UPERNET, '--work-dir', tmp_path / 'work',
                      '--cfg-options', 'model.decode_head.type=NoSuchHead',
                      cwd=tmp_path)
    assert "NoSuchHead is not in the mmseg::model registry" in message


def test_unknown_scope_is_refused(tmp_path):
    config = tmp_path / 'bad_scope.py'
    config.write_text(f"_base_ = '{SIMMIM}'\ndefault_scope = 'mmfoo'\n")
    message = failure('train.py', config, cwd=tmp_path)
    assert str(config) in message and "'mmfoo'" in message


def test_misspelt_cfg_option_names_the_nearest_key(tmp_path):
    message = failure('train.py', SIMMIM, '--cfg-options',
                      'train_dataloder.batch_size=2', cwd=tmp_path)
    assert message == (
        'sgmim.utils.cfg_options.CfgOptionError: --cfg-options '
        "train_dataloder.batch_size: the config has no key 'train_dataloder'"
        " (did you mean 'train_dataloader'?); write "
        '+train_dataloder.batch_size=... to add it')


@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
def test_cfg_option_without_value_is_a_usage_error(tmp_path, tool):
    args = [SIMMIM] + (['ckpt.pth'] if tool == 'test.py' else [])
    proc = run_tool(tool, *args, '--cfg-options', 'train_cfg.max_epochs',
                    cwd=tmp_path, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        f"{tool}: error: argument --cfg-options: 'train_cfg.max_epochs': "
        '--cfg-options takes key=value pairs, e.g. '
        'train_dataloader.batch_size=4 (+key=value adds a new key)')

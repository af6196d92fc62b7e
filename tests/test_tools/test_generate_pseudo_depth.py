"""tools/dataset_converters/generate_pseudo_depth.py and its library,
``sgmim.datasets.pseudo_depth_writer``, on generated SynthScenes images.

The depth model is a tiny mmseg ``DepthEstimator`` (2-stage ResNet-18 at 8
channels + :class:`PseudoDepthTestHead`). Subprocess runs import this module
through the config's ``custom_imports`` to register the head, so the folders
of this module and of ``conftest`` go on their ``PYTHONPATH``.
"""
import copy
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from log_capture import mmengine_messages
from tool_helpers import CONFIGS, REPO, free_port, load_tool, run_tool
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.apis import inference_model
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from sgmim.datasets.pseudo_depth_writer import (
    MIXED_SHAPES_WARNING, ImageInputs, depth_to_uint16, find_images,
    generate_pseudo_depth, init_depth_model, map_jobs, predict_depth,
    split_test_pipeline)
from sgmim.datasets.synthscenes import generate

TOOL = 'dataset_converters/generate_pseudo_depth.py'
HERE = Path(__file__).resolve().parent
PYTHONPATH = os.pathsep.join(p for p in (str(HERE), str(HERE.parent),
                                         os.environ.get('PYTHONPATH')) if p)
MAX_DEPTH = 10.0

CONFIG = f"""
default_scope = 'mmseg'
custom_imports = dict(imports=['{Path(__file__).stem}'],
                      allow_failed_imports=False)
env_cfg = dict(dist_cfg=dict(backend='nccl'))  # as mmseg's default_runtime
model = dict(
    type='DepthEstimator',
    data_preprocessor=dict(
        type='SegDataPreProcessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        type='ResNet', depth=18, num_stages=2, stem_channels=8,
        base_channels=8, strides=(1, 2), dilations=(1, 1), out_indices=(1, )),
    decode_head=dict(
        type='PseudoDepthTestHead', in_channels=16, channels=16,
        max_depth={MAX_DEPTH}),
    test_cfg=dict(mode='whole'))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 64), keep_ratio=True),
    dict(type='PackSegInputs'),
]
"""


@MODELS.register_module(force=True)
class PseudoDepthTestHead(BaseDecodeHead):
    """Tiny depth head: conv 3x3 -> ReLU -> conv 1x1 -> sigmoid * max_depth.

    Args:
        max_depth (float): largest depth in metres. Defaults to 10.
        **kwargs: ``BaseDecodeHead`` arguments (``in_channels``,
            ``channels``, ...); one output channel, SiLog loss.
    """

    def __init__(self, max_depth=MAX_DEPTH, **kwargs):
        super().__init__(num_classes=1, out_channels=1, threshold=0.5,
                         loss_decode=dict(type='SiLogLoss'), **kwargs)
        self.max_depth = max_depth
        self.conv = torch.nn.Conv2d(self.in_channels, self.channels, 3,
                                    padding=1)

    def forward(self, inputs):
        x = F.relu(self.conv(self._transform_inputs(inputs)))
        return torch.sigmoid(self.cls_seg(x)) * self.max_depth

    def loss_by_feat(self, pred_depth, batch_data_samples):
        """SiLog loss against ``gt_depth_map`` at the ground truth's size."""
        gt = torch.stack([s.gt_depth_map.data for s in batch_data_samples])
        pred = F.interpolate(pred_depth, size=gt.shape[2:], mode='bilinear',
                             align_corners=self.align_corners)
        return {self.loss_decode.loss_name: self.loss_decode(pred, gt)}



def generate_maps(*args, cwd, check=True):
    """Run the tool with this module importable."""
    return run_tool(TOOL, *args, cwd=cwd, check=check,
                    env=dict(PYTHONPATH=PYTHONPATH))


def file_times(folder):
    return {
        p: p.stat().st_mtime_ns
        for p in Path(folder).rglob('*') if p.is_file()
    }


def age(folder):
    """Set every file's mtime one day back; returns the new times."""
    for path in Path(folder).rglob('*'):
        if path.is_file():
            stat = path.stat()
            os.utime(path,
                     ns=(stat.st_atime_ns, stat.st_mtime_ns - 86400 * 10**9))
    return file_times(folder)


def read_map(path):
    depth = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert depth is not None and depth.dtype == np.uint16, path
    return depth


def direct_maps(model, img_dir):
    """Expected PNG value ``round(depth_m * 1000)`` of each image's map,
    keyed by the map's relative path: ``mmseg.apis.inference_model`` on one
    image at a time."""
    expected = {}
    for image in sorted(img_dir.rglob('*.JPEG')):
        depth = inference_model(model, str(image)).pred_depth_map.data[0]
        relative = image.relative_to(img_dir).with_suffix('.png')
        expected[relative] = np.round(depth.numpy() * 1000).astype(np.int64)
    return expected


@pytest.fixture(scope='module')
def depth_setup(tmp_path_factory):
    """Images, config, random-init checkpoint, in-process model and the
    expected maps (:func:`direct_maps`)."""
    root = tmp_path_factory.mktemp('pseudo_depth')
    generate(root / 'synth', seed=0, subsets=('imagenet', ), num_pretrain=6,
             num_pretrain_val=2, show_progress=False)
    config = root / 'tiny_depth.py'
    config.write_text(CONFIG)
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model)
    model.init_weights()
    checkpoint = root / 'tiny_depth.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)

    model = init_depth_model(str(config), str(checkpoint), device='cpu')
    img_dir = root / 'synth' / 'imagenet' / 'train'
    expected = direct_maps(model, img_dir)
    assert len(expected) == 6
    return dict(config=config, checkpoint=checkpoint, model=model,
                img_dir=img_dir, expected=expected)


def check_maps(out_dir, expected):
    """Exactly the expected maps, each of its image's size, within 1 mm."""
    found = sorted(
        p.relative_to(out_dir) for p in Path(out_dir).rglob('*')
        if p.is_file())
    assert found == sorted(expected)
    for relative, want in expected.items():
        depth = read_map(out_dir / relative)
        assert depth.shape == want.shape, relative
        assert np.abs(depth.astype(np.int64) - want).max() <= 1, relative


def run_library(depth_setup, out_dir, **kwargs):
    return generate_pseudo_depth(depth_setup['model'],
                                 str(depth_setup['img_dir']), str(out_dir),
                                 progress=False, **kwargs)


def test_depth_to_uint16_encoding():
    depth = np.array([[0.0, -1.0, np.nan, np.inf],
                      [0.0004, 0.0006, 1.2344, 65.5354],
                      [65.5356, 100.0, 2.0, 3.0]])
    assert depth_to_uint16(depth).tolist() == [[0, 0, 0, 0],
                                               [1, 1, 1234, 65535],
                                               [65535, 65535, 2000, 3000]]
    assert depth_to_uint16(np.array([2.0]), scale=256).tolist() == [512]


def test_tiny_head_is_a_working_depth_estimator(depth_setup):
    """The test model trains like a real one: loss on gt_depth_map."""
    model = depth_setup['model']
    sample = SegDataSample(metainfo=dict(img_shape=(32, 32)))
    sample.gt_depth_map = PixelData(data=torch.full((1, 32, 32), 2.0))
    losses = model.loss(torch.rand(2, 3, 32, 32), [sample, sample])
    assert losses['decode.loss_silog'].item() > 0


def test_cli_writes_parallel_maps_equal_to_direct_inference(
        depth_setup, tmp_path):
    out_dir = tmp_path / 'pseudo_depth'
    proc = generate_maps(depth_setup['config'], depth_setup['checkpoint'],
                         '--img-dir', depth_setup['img_dir'], '--out-dir',
                         out_dir, '--batch-size', 4, '--num-workers', 2,
                         cwd=tmp_path)
    assert 'written: 6, skipped: 0, failed: 0' in proc.stdout
    check_maps(out_dir, depth_setup['expected'])
    for relative, want in depth_setup['expected'].items():
        image = cv2.imread(
            str(depth_setup['img_dir'] / relative.with_suffix('.JPEG')))
        assert want.shape == image.shape[:2]
        assert want.std() > 0  # a real prediction, not a constant


def test_rerun_skips_and_overwrite_rewrites(depth_setup, tmp_path):
    out_dir = tmp_path / 'maps'
    counts = run_library(depth_setup, out_dir, batch_size=3)
    assert (counts.written, counts.skipped, counts.failed) == (6, 0, 0)
    before = age(out_dir)

    counts = run_library(depth_setup, out_dir, batch_size=3)
    assert (counts.written, counts.skipped, counts.failed) == (0, 6, 0)
    assert file_times(out_dir) == before

    counts = run_library(depth_setup, out_dir, batch_size=3, overwrite=True)
    assert (counts.written, counts.skipped, counts.failed) == (6, 0, 0)
    after = file_times(out_dir)
    assert after.keys() == before.keys()
    assert all(after[path] > before[path] for path in before)
    check_maps(out_dir, depth_setup['expected'])


def test_killed_run_leaves_no_partial_file_and_resumes(depth_setup, tmp_path,
                                                       monkeypatch):
    """SIGTERM (as torchrun or slurm send) reaches the tool while the third
    map's temporary file is complete but not yet renamed, the worst moment:
    it exits 143 without that file, and the next run writes the rest."""
    out_dir = tmp_path / 'maps'
    real_replace = os.replace
    renamed = []

    def replace_then_terminate(src, dst):
        if len(renamed) == 2:
            assert Path(src).is_file()  # the temporary file is there
            os.kill(os.getpid(), signal.SIGTERM)
        real_replace(src, dst)
        renamed.append(Path(dst).relative_to(out_dir))

    monkeypatch.setenv('LOCAL_RANK', '0')
    monkeypatch.setattr(os, 'replace', replace_then_terminate)
    handler = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as stopped:
        load_tool(TOOL).main([
            str(depth_setup['config']),
            str(depth_setup['checkpoint']), '--img-dir',
            str(depth_setup['img_dir']), '--out-dir',
            str(out_dir), '--num-workers', '0'
        ])
    monkeypatch.setattr(os, 'replace', real_replace)
    assert stopped.value.code == 143
    assert signal.getsignal(signal.SIGTERM) is handler

    left = sorted(
        p.relative_to(out_dir) for p in out_dir.rglob('*') if p.is_file())
    assert left == sorted(renamed) and len(left) == 2
    check_maps(out_dir, {r: depth_setup['expected'][r] for r in left})

    counts = run_library(depth_setup, out_dir, batch_size=2)
    assert (counts.written, counts.skipped, counts.failed) == (4, 2, 0)
    check_maps(out_dir, depth_setup['expected'])


def test_synth_nyu_estimator_on_portrait_images(depth_setup, tmp_path):
    """The synth NYU config's SlidingDepthEstimator (two square windows of
    side H, flip) on the SynthScenes ImageNet images, some of them portrait
    (122 x 115): the window is shrunk to such an image, which the log says
    once, and every map has its image's size and valid depths."""
    config = CONFIGS / ('synth/glpdepth_swin-nano-w3_1xb4-200it_'
                        'synthscenes-nyu-96x96.py')
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model)
    checkpoint = tmp_path / 'nyu_depth.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, checkpoint)
    out_dir = tmp_path / 'maps'
    proc = generate_maps(config, checkpoint, '--img-dir',
                         depth_setup['img_dir'], '--out-dir', out_dir,
                         '--num-workers', '0', cwd=tmp_path)
    assert 'written: 6, skipped: 0, failed: 0' in proc.stdout
    log = proc.stdout + proc.stderr
    assert log.count('is larger than the input') == 1
    shapes = []
    for relative in depth_setup['expected']:
        image = cv2.imread(
            str(depth_setup['img_dir'] / relative.with_suffix('.JPEG')))
        depth = read_map(out_dir / relative)
        assert depth.shape == image.shape[:2] and depth.min() > 0
        shapes.append(depth.shape)
    assert any(h > w for h, w in shapes)  # portrait images were there


def test_npy_maps_hold_float_metres(depth_setup, tmp_path):
    out_dir = tmp_path / 'npy'
    counts = run_library(depth_setup, out_dir, ext='.npy', batch_size=6)
    assert counts.written == 6
    for relative, want in depth_setup['expected'].items():
        depth = np.load(out_dir / relative.with_suffix('.npy'))
        assert depth.dtype == np.float32 and depth.shape == want.shape
        assert np.abs(depth * 1000 - want).max() <= 1


def test_two_process_torchrun_writes_each_map_once(depth_setup, tmp_path):
    out_dir = tmp_path / 'maps'
    cmd = [
        sys.executable, '-m', 'torch.distributed.run', '--nnodes', '1',
        '--nproc_per_node', '2', '--master_addr', '127.0.0.1', '--master_port',
        str(free_port()),
        str(REPO / 'tools' / TOOL),
        str(depth_setup['config']),
        str(depth_setup['checkpoint']), '--img-dir',
        str(depth_setup['img_dir']), '--out-dir',
        str(out_dir), '--batch-size', '2', '--num-workers', '0', '--launcher',
        'pytorch'
    ]
    proc_env = dict(os.environ, PYTHONPATH=PYTHONPATH, OMP_NUM_THREADS='1')
    proc = subprocess.run(cmd, cwd=tmp_path, env=proc_env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-6000:]
    # One summary (rank 0) over both ranks: 6 writes for 6 images.
    assert proc.stdout.count('written: 6, skipped: 0, failed: 0') == 1
    check_maps(out_dir, depth_setup['expected'])


def damage_one_image(depth_setup, tmp_path, content=b'\x00' * 64):
    """A copy of the image folder whose fourth image holds ``content``
    (default: garbage)."""
    img_dir = tmp_path / 'images'
    shutil.copytree(depth_setup['img_dir'], img_dir)
    bad = sorted(img_dir.rglob('*.JPEG'))[3]
    bad.write_bytes(content)
    return img_dir, bad


@pytest.mark.parametrize('content, reason', [
    (b'\x00' * 64, 'CorruptImageFileError: cannot decode image file {} (64 '
                    'bytes): corrupt, truncated or not an image'),
    (b'', 'EmptyImageFileError: empty image file (0 bytes): {}'),
], ids=['garbage', 'empty'])
def test_corrupt_image_is_named(depth_setup, tmp_path, content, reason):
    img_dir, bad = damage_one_image(depth_setup, tmp_path, content)
    proc = generate_maps(depth_setup['config'], depth_setup['checkpoint'],
                         '--img-dir', img_dir, '--out-dir', tmp_path / 'maps',
                         '--num-workers', '0', cwd=tmp_path, check=False)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last == (f'sgmim.datasets.pseudo_depth_writer.UnreadableImageError:'
                    f' cannot read image {bad}: {reason.format(bad)}')


def test_misspelt_cfg_option_is_refused(depth_setup, tmp_path):
    proc = generate_maps(depth_setup['config'], depth_setup['checkpoint'],
                         '--img-dir', depth_setup['img_dir'], '--out-dir',
                         tmp_path / 'maps', '--cfg-options',
                         'model.test_cfg.mod=whole', cwd=tmp_path,
                         check=False)
    assert proc.returncode != 0
    assert ("model.test_cfg has no key 'mod' (did you mean 'mode'?)"
            in proc.stderr.strip().splitlines()[-1])
    assert not (tmp_path / 'maps').exists()


def test_skip_bad_logs_and_writes_the_rest(depth_setup, tmp_path):
    img_dir, bad = damage_one_image(depth_setup, tmp_path)
    out_dir = tmp_path / 'maps'
    counts = generate_pseudo_depth(depth_setup['model'], str(img_dir),
                                   str(out_dir), batch_size=4, skip_bad=True,
                                   progress=False)
    assert (counts.written, counts.skipped, counts.failed) == (5, 0, 1)
    bad_map = bad.relative_to(img_dir).with_suffix('.png')
    check_maps(out_dir, {
        r: v
        for r, v in depth_setup['expected'].items() if r != bad_map
    })


def test_image_listing(tmp_path):
    """Recursive, case-insensitive extensions, linked folders followed but
    not round a loop, output folder excluded, and two images that would
    share one map are an error."""
    for name in ('b/x.JPG', 'b/y.jpeg', 'a.png', 'c/d/z.Png', 'notes.txt',
                 'maps/old.png'):
        path = tmp_path / 'img' / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b'')
    img_dir = tmp_path / 'img'
    (img_dir / 'c' / 'd' / 'loop').symlink_to(img_dir / 'c')
    (img_dir / 'e').symlink_to(img_dir / 'c' / 'd')
    assert find_images(str(img_dir), exclude=str(img_dir / 'maps')) == [
        'a.png', 'b/x.JPG', 'b/y.jpeg', 'c/d/z.Png', 'e/z.Png'
    ]
    jobs = map_jobs(str(img_dir), str(img_dir / 'maps'), '.npy')
    assert [Path(j.target).relative_to(img_dir / 'maps') for j in jobs] == [
        Path(p)
        for p in ('a.npy', 'b/x.npy', 'b/y.npy', 'c/d/z.npy', 'e/z.npy')
    ]
    (img_dir / 'b' / 'x.png').write_bytes(b'')
    with pytest.raises(ValueError, match='would both be written to'):
        map_jobs(str(img_dir), str(tmp_path / 'out'))


def test_test_pipeline_drops_ground_truth_loaders():
    steps = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(8, 8)),
        dict(type='LoadDepthAnnotation'),
        dict(type='mmseg.LoadAnnotations'),
        dict(type='PackSegInputs')
    ]
    loader, rest = split_test_pipeline(Config(dict(test_pipeline=steps)))
    assert loader == steps[:1]
    assert [step['type'] for step in rest] == ['Resize', 'PackSegInputs']
    from_dataset = Config(
        dict(test_dataloader=dict(dataset=dict(pipeline=steps))))
    assert split_test_pipeline(from_dataset) == (loader, rest)
    with pytest.raises(ValueError, match='must start with an image loader'):
        split_test_pipeline(Config(dict(test_pipeline=steps[1:])))


def test_mixed_size_batch_is_resized_back_quietly(depth_setup, tmp_path,
                                                  monkeypatch):
    """With a fixed-size test pipeline, images of different sizes share a
    forward pass; each map still equals the image's own prediction, and
    mmseg's warning about the batch (logged without the filter) is
    silenced."""
    model = depth_setup['model']
    cfg = copy.deepcopy(model.cfg)
    cfg.test_pipeline[1].keep_ratio = False
    monkeypatch.setattr(model, 'cfg', cfg)
    with mmengine_messages() as messages:
        out_dir = tmp_path / 'maps'
        assert run_library(depth_setup, out_dir, batch_size=6).written == 6
        assert MIXED_SHAPES_WARNING not in messages
        inputs = ImageInputs(
            map_jobs(str(depth_setup['img_dir']), str(out_dir)), cfg)
        predict_depth(model, [inputs[0], inputs[1]])
        assert MIXED_SHAPES_WARNING in messages
    check_maps(out_dir, direct_maps(model, depth_setup['img_dir']))

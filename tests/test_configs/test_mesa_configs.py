"""MeSa's KITTI raw stage configs (the NYUv2 stages with SC-Depth's KITTI
data settings and only the documented encoder changes; their pipeline
gives 256 x 832 snippets with the intrinsics rescaled) and the SC-DepthV2
reference config (REFERENCE.md section 4, sc_depth_pl configs/v2/nyu.txt)."""
import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS
from tool_helpers import CONFIGS

import sgmim  # noqa: F401  (registers the dataset and transforms)

STAGE = '_8xb1-amp-adam-100k_'
KITTI = 'mesa/mesa-{}_swinv2-base-w16' + STAGE + 'kitti-raw-256x832.py'
NYU = 'mesa/mesa-{}_swinv2-base-w30' + STAGE + 'nyu-raw-480x480.py'
# what the KITTI configs change (their comments say why)
KITTI_BACKBONE = dict(img_size=(256, 832), window_size=[16, 16, 16, 8],
                      stage_cfgs=[{}, {}, {}, {}])


def resolved(name):
    return Config.fromfile(str(CONFIGS / name)).to_dict()


@pytest.mark.parametrize('stage', ['geometric', 'supervised'])
def test_kitti_stage_is_the_nyu_stage_with_kitti_data(stage):
    kitti, nyu = resolved(KITTI.format(stage)), resolved(NYU.format(stage))
    backbone = kitti['model']['backbone']
    assert {k: backbone[k] for k in KITTI_BACKBONE} == KITTI_BACKBONE
    nyu['model']['backbone'].update(KITTI_BACKBONE)
    assert kitti['model'] == nyu['model']
    data = kitti['train_dataloader']['dataset']
    assert data['data_root'] == 'data/kitti_raw/'
    assert [t['type'] for t in data['pipeline']] == [
        'LoadSnippetFromFiles', 'SnippetRandomFlip', 'SnippetRandomScaleCrop',
        'SnippetResize', 'PackSnippetInputs']
    assert data['pipeline'][3]['size'] == (256, 832)
    for config in (kitti, nyu):
        config.pop('filename', None)
        config['train_dataloader']['dataset'].pop('data_root')
        config['train_dataloader']['dataset'].pop('pipeline')
        config.pop('data_root')
        config.pop('train_pipeline')
    assert kitti == nyu  # optimizer, schedule, batch, hooks: unchanged
    assert (kitti['model']['type'] == 'MeSaSupervised') == \
        (stage == 'supervised')


def test_kitti_pipeline_rescales_frames_and_intrinsics(tmp_path):
    """A 3-frame KITTI-layout scene of 128 x 416 frames; without flip and
    zoom, SnippetResize alone: fx' = sx fx, cx' = sx (cx + 0.5) - 0.5."""
    scene = tmp_path / 'training' / '2011_09_26_drive_0001_sync_02'
    scene.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(3):
        cv2.imwrite(str(scene / f'{i:010d}.jpg'),
                    rng.integers(0, 255, (128, 416, 3), np.uint8))
    fx, fy, cx, cy = 180.0, 181.0, 207.5, 63.5
    (scene / 'cam.txt').write_text(f'{fx} 0 {cx}\n0 {fy} {cy}\n0 0 1\n')
    (tmp_path / 'training' / 'train.txt').write_text(scene.name + '\n')
    cfg = Config.fromfile(str(CONFIGS / KITTI.format('geometric')))
    pipeline = cfg.train_dataloader.dataset.pipeline
    pipeline[1]['prob'] = 0.
    pipeline[2]['scale_range'] = (1.0, 1.0)
    init_default_scope('mmpretrain')
    dataset = DATASETS.build(dict(
        cfg.train_dataloader.dataset, data_root=str(tmp_path),
        pipeline=[], serialize_data=False))
    assert len(dataset) == 1
    packed = Compose(pipeline)(dataset[0])
    assert [tuple(f.shape) for f in packed['inputs']] == [(3, 256, 832)] * 3
    sx, sy = 832 / 416, 256 / 128
    expected = torch.tensor([[sx * fx, 0., sx * (cx + 0.5) - 0.5],
                             [0., sy * fy, sy * (cy + 0.5) - 0.5],
                             [0., 0., 1.]])
    torch.testing.assert_close(packed['data_samples'].intrinsics, expected)


def test_scdepthv2_config_is_scdepths_nyu_recipe():
    cfg = resolved('mesa/scdepthv2_resnet18_1xb8-adam-100k_nyu-raw-256x320.py')
    model = cfg['model']
    assert model['backbone']['type'] == 'MonodepthResNet'
    assert model['backbone']['depth'] == 18
    assert model['backbone']['init_cfg']['checkpoint'] == \
        'torchvision://resnet18'
    assert model['decoder'] == dict(
        type='MonodepthDecoder', in_channels=[64, 64, 128, 256, 512],
        in_strides=[2, 4, 8, 16, 32])
    # (x / 255 - 0.45) / 0.225
    preprocessor = model['data_preprocessor']
    assert preprocessor['mean'] == [0.45 * 255] * 3
    assert preprocessor['std'] == [0.225 * 255] * 3
    assert (model['loss']['photo_weight'], model['loss']['geometry_weight'],
            model['loss']['smooth_weight']) == (1.0, 0.1, 0.1)
    assert (model['rectify_loss']['consistency_weight'],
            model['rectify_loss']['triplet_weight']) == (1.0, 1.0)
    assert model['pose_net']['type'] == 'PoseNet'
    assert model['rectify_net']['type'] == 'RectifyNet'
    loader = cfg['train_dataloader']
    assert loader['batch_size'] == 8  # one GPU, as SC-Depth
    assert [t['type'] for t in loader['dataset']['pipeline']] == [
        'LoadSnippetFromFiles', 'SnippetRandomFlip', 'SnippetRandomScaleCrop',
        'SnippetResize', 'PackSnippetInputs']
    assert loader['dataset']['pipeline'][2]['scale_range'] == (1.0, 1.15)
    assert loader['dataset']['pipeline'][3]['size'] == (256, 320)
    assert loader['dataset']['sequence_length'] == 3
    assert cfg['optim_wrapper']['type'] == 'OptimWrapper'  # fp32
    assert cfg['optim_wrapper']['optimizer'] == dict(
        type='Adam', lr=1e-4, betas=(0.9, 0.999))
    assert cfg['train_cfg']['max_iters'] == 100000

"""Round trip: SimMIM pre-training checkpoint -> fine-tuning backbone.

The pre-training model is mmpretrain's ``SimMIM`` (linear decoder + head);
its checkpoint is loaded with ``init_cfg=dict(type='Pretrained', ...,
prefix='backbone.')`` into mmpretrain's backbones and into sgmim's
``Transfer*`` ones, at the same and at another window / image size.
Missing and unexpected keys are recorded with a load-state-dict post-hook
(the lists mmengine reports).
"""
import logging
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmengine.runner import load_checkpoint
from mmpretrain.models.utils import resize_relative_position_bias_table
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import sgmim  # noqa: F401  (registers the backbones)

SWIN_V2_ARCH = dict(embed_dims=32, depths=[1, 1, 2, 1],
                    num_heads=[1, 2, 4, 8], extra_norm_every_n_blocks=0)
SWIN_ARCH = dict(embed_dims=32, depths=[1, 1, 2, 1], num_heads=[1, 2, 4, 8])
VIT_ARCH = dict(embed_dims=32, num_layers=2, num_heads=2,
                feedforward_channels=64)
SWIN_V2_BUFFERS = ('relative_coords_table', 'relative_position_index')

# mmpretrain's Swin v1 table resizing uses scipy's interp2d (scipy < 1.14)
pytestmark = pytest.mark.filterwarnings(
    'ignore:`interp2d` is deprecated:DeprecationWarning')


def pretrain_checkpoint(path, backbone, neck_channels, stride, mask_patch,
                        img_size, seed=0):
    """Build SimMIM around ``backbone``, run one loss, save its weights.

    Every parameter gets noise first, so no weight equals a fresh init.
    Returns the pre-training backbone.
    """
    torch.manual_seed(seed)
    model = MODELS.build(
        dict(type='SimMIM', backbone=backbone,
             neck=dict(type='SimMIMLinearDecoder', in_channels=neck_channels,
                       encoder_stride=stride),
             head=dict(type='SimMIMHead', patch_size=mask_patch,
                       loss=dict(type='PixelReconstructionLoss',
                                 criterion='L1', channel=3))))
    model.init_weights()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=gen))
    grid = img_size // mask_patch
    inputs = torch.randn(2, 3, img_size, img_size)
    samples = []
    for _ in range(2):
        sample = DataSample()
        sample.set_field((torch.rand(grid, grid) < 0.6).long(), 'mask')
        samples.append(sample)
    loss = model.loss(inputs, samples)['loss']
    assert torch.isfinite(loss) and loss > 0
    torch.save({'state_dict': model.state_dict()}, path)
    return model.backbone


def finetune_backbone(cfg, checkpoint, seed=1):
    """Build ``cfg`` with a Pretrained init_cfg and call ``init_weights``.

    Returns the backbone, its state before loading, and the missing and
    unexpected keys of the load.
    """
    torch.manual_seed(seed)
    backbone = MODELS.build(
        dict(cfg, init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint),
                                prefix='backbone.')))
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    loads = []
    backbone.register_load_state_dict_post_hook(
        lambda module, keys: loads.append(
            (sorted(keys.missing_keys), sorted(keys.unexpected_keys))))
    backbone.init_weights()
    assert len(loads) == 1, 'init_weights should load the checkpoint once'
    return backbone, before, *loads[0]


def buffer_keys(module, names):
    return sorted(k for k, _ in module.named_buffers()
                  if k.rsplit('.', 1)[-1] in names)


def assert_same_tensor(actual, expected, key):
    assert actual.shape == expected.shape, key
    assert torch.equal(actual, expected), key


class LogRecorder(logging.Handler):

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def warnings_log():
    logger = MMLogger.get_current_instance()
    recorder = LogRecorder()
    logger.addHandler(recorder)
    yield recorder.messages
    logger.removeHandler(recorder)


# ---------------------------------------------------------------- SwinV2 ---
@pytest.fixture(scope='module')
def swin_v2_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp('swinv2') / 'simmim_swinv2.pth'
    backbone = pretrain_checkpoint(
        path, dict(type='SimMIMSwinTransformerV2', arch=SWIN_V2_ARCH,
                   img_size=64, window_size=[4, 4, 4, 2]),
        neck_channels=256, stride=32, mask_patch=4, img_size=64)
    return path, backbone


@pytest.mark.parametrize('finetune_type',
                         ['SwinTransformerV2', 'TransferSwinTransformerV2'])
def test_swin_v2_same_window(swin_v2_checkpoint, finetune_type):
    path, source = swin_v2_checkpoint
    target, _, missing, unexpected = finetune_backbone(
        dict(type=finetune_type, arch=SWIN_V2_ARCH, img_size=64,
             window_size=[4, 4, 4, 2]), path)
    assert unexpected == ['mask_token']
    if finetune_type == 'SwinTransformerV2':
        # mmpretrain deletes these on every load; they keep their (equal)
        # fresh values but are reported missing
        assert missing == buffer_keys(target, SWIN_V2_BUFFERS)
    else:
        assert missing == []
    src = source.state_dict()
    for key, value in target.state_dict().items():
        assert_same_tensor(value, src[key], key)
    target.eval()
    source.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(target(x)[0], source(x)[0], rtol=0, atol=0)


@pytest.mark.parametrize('finetune_type', [
    'SwinTransformerV2', 'TransferSwinTransformerV2', 'SimMIMSwinTransformerV2'
])
def test_swin_v2_other_window(swin_v2_checkpoint, finetune_type,
                              warnings_log):
    path, source = swin_v2_checkpoint
    # stages 0, 1, 3 change window (4 -> 8, 4 -> 8, 2 -> 4); stage 2 keeps 4
    cfg = dict(type=finetune_type, arch=SWIN_V2_ARCH, img_size=128,
               window_size=[8, 8, 4, 4], pretrained_window_sizes=[4, 4, 4, 2])
    target, _, missing, unexpected = finetune_backbone(cfg, path)
    buffers = buffer_keys(target, SWIN_V2_BUFFERS)
    if finetune_type == 'SwinTransformerV2':
        assert missing == buffers  # mmpretrain: dropped, kept fresh
    else:
        assert missing == []
    # SimMIMSwinTransformerV2: continued pre-training at another window
    assert unexpected == ([] if finetune_type == 'SimMIMSwinTransformerV2'
                          else ['mask_token'])
    # every parameter (CPB MLP included) is the pre-trained one
    src = source.state_dict()
    for key, value in target.named_parameters():
        assert_same_tensor(value, src[key], key)
    # window buffers: the module's own, nothing stale; where the window is
    # unchanged that is the checkpoint's value
    fresh = MODELS.build(dict(cfg, type='SwinTransformerV2')).state_dict()
    for key in buffers:
        assert_same_tensor(target.state_dict()[key], fresh[key], key)
        same_window = key.startswith('stages.2.')
        assert (target.state_dict()[key].shape == src[key].shape) \
            == same_window, key
        if same_window:
            assert_same_tensor(target.state_dict()[key], src[key], key)
    # pretrained_window_sizes matches the checkpoint: no CPB warning
    assert not [m for m in warnings_log if 'continuous-position-bias' in m]
    target.eval()
    with torch.no_grad():
        out = target(torch.randn(1, 3, 128, 128))[-1]
    assert out.shape == (1, 256, 4, 4) and torch.isfinite(out).all()


def test_swin_v2_window_change_without_pretrained_window_sizes_warns(
        swin_v2_checkpoint, warnings_log):
    path, _ = swin_v2_checkpoint
    _, _, missing, _ = finetune_backbone(
        dict(type='TransferSwinTransformerV2', arch=SWIN_V2_ARCH,
             img_size=128, window_size=[8, 8, 4, 2]), path)
    assert missing == []
    cpb = [m for m in warnings_log if 'continuous-position-bias' in m]
    assert len(cpb) == 1
    # stages 0-1 changed window (4 -> 8), stages 2-3 did not
    assert 'stage 0: checkpoint window (4, 4) normalised by P=(4, 4); ' \
        'this module (window (8, 8)) by P=(8, 8)' in cpb[0]
    assert 'stage 1:' in cpb[0]
    assert 'stage 2:' not in cpb[0] and 'stage 3:' not in cpb[0]


def test_swin_v2_load_checkpoint_with_revise_keys(swin_v2_checkpoint):
    path, source = swin_v2_checkpoint
    target = MODELS.build(
        dict(type='TransferSwinTransformerV2', arch=SWIN_V2_ARCH,
             img_size=128, window_size=[8, 8, 8, 4],
             pretrained_window_sizes=[4, 4, 4, 2]))
    loads = []
    target.register_load_state_dict_post_hook(
        lambda module, keys: loads.append(list(keys.missing_keys)))
    load_checkpoint(target, str(path), revise_keys=[(r'^backbone\.', '')])
    assert loads == [[]]
    for key, value in target.named_parameters():
        assert_same_tensor(value, source.state_dict()[key], key)


# --------------------------------------------------------------- Swin v1 ---
@pytest.fixture(scope='module')
def swin_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp('swin') / 'simmim_swin.pth'
    backbone = pretrain_checkpoint(
        path, dict(type='SimMIMSwinTransformer', arch=SWIN_ARCH,
                   img_size=128, stage_cfgs=dict(block_cfgs=dict(
                       window_size=4))),
        neck_channels=256, stride=32, mask_patch=4, img_size=128)
    return path, backbone


@pytest.mark.parametrize('finetune_type',
                         ['SwinTransformer', 'TransferSwinTransformer'])
@pytest.mark.parametrize('window', [4, 8])
def test_swin_v1_window(swin_checkpoint, finetune_type, window):
    path, source = swin_checkpoint
    cfg = dict(type=finetune_type, arch=SWIN_ARCH, img_size=128,
               window_size=window, pad_small_map=True)
    target, before, missing, unexpected = finetune_backbone(cfg, path)
    assert unexpected == ['mask_token']
    index_keys = buffer_keys(target, ('relative_position_index', ))
    if finetune_type == 'SwinTransformer' and window != 4:
        # mmpretrain regenerates the index of a resized table: "missing"
        assert missing == index_keys
    else:
        assert missing == []
    src = source.state_dict()
    fresh = MODELS.build(dict(cfg, type='SwinTransformer')).state_dict()
    for key, value in target.state_dict().items():
        if key.endswith('relative_position_index'):
            assert_same_tensor(value, fresh[key], key)
        elif key.endswith('relative_position_bias_table') and window != 4:
            heads = value.shape[1]
            expected = resize_relative_position_bias_table(
                7, 2 * window - 1, src[key], heads)
            assert_same_tensor(value, expected, key)
            assert not torch.allclose(value, before[key]), key
            # offset (0, 0) is a node of both grids: kept exactly
            centre = src[key].view(7, 7, heads)[3, 3]
            torch.testing.assert_close(
                value.view(2 * window - 1, 2 * window - 1, heads)[
                    window - 1, window - 1], centre)
        else:
            assert_same_tensor(value, src[key], key)
    with torch.no_grad():
        out = target(torch.randn(1, 3, 128, 128))[0]
    assert out.shape == (1, 256, 4, 4) and torch.isfinite(out).all()


# ------------------------------------------------------------------- ViT ---
@pytest.fixture(scope='module')
def vit_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp('vit') / 'simmim_vit.pth'
    backbone = pretrain_checkpoint(
        path, dict(type='SimMIMVisionTransformer', arch=VIT_ARCH,
                   img_size=64),
        neck_channels=32, stride=16, mask_patch=16, img_size=64)
    return path, backbone


@pytest.mark.parametrize('img_size', [64, 96])
@pytest.mark.parametrize('out_type', ['cls_token', 'featmap'])
def test_vit_image_size(vit_checkpoint, img_size, out_type):
    path, source = vit_checkpoint
    target, before, missing, unexpected = finetune_backbone(
        dict(type='VisionTransformer', arch=VIT_ARCH, img_size=img_size,
             out_type=out_type), path)
    assert missing == [] and unexpected == ['mask_token']
    src = source.state_dict()
    for key, value in target.state_dict().items():
        if key == 'pos_embed' and img_size != 64:
            grid = src[key][:, 1:].reshape(1, 4, 4, 32).permute(0, 3, 1, 2)
            grid = F.interpolate(grid, size=(6, 6), mode='bicubic',
                                 align_corners=False)
            expected = torch.cat(
                [src[key][:, :1], grid.flatten(2).transpose(1, 2)], 1)
            assert value.shape == (1, 37, 32)
            torch.testing.assert_close(value, expected)
            assert not torch.allclose(value, before[key])
        else:
            assert_same_tensor(value, src[key], key)
    target.eval()
    source.eval()
    x = torch.randn(1, 3, img_size, img_size)
    with torch.no_grad():
        out = target(x)[0]
        if img_size == 64 and out_type == 'featmap':
            torch.testing.assert_close(out, source(x)[0], rtol=0, atol=0)
    assert torch.isfinite(out).all()


# ------------------------------------------- depth protocol window sizes ---
DEPTH_CONFIGS = {
    'glpdepth_swin-base-w30_8xb3-25e_nyu-480x480.py': 'v1',
    'glpdepth_swin-base-w22_8xb3-25e_kitti-352x352.py': 'v1',
    'glpdepth_swinv2-base-w30_8xb3-25e_nyu-480x480.py': 'v2',
    'glpdepth_swinv2-base-w22_8xb3-25e_kitti-352x352.py': 'v2',
}


@pytest.mark.parametrize('name', sorted(DEPTH_CONFIGS))
def test_depth_config_windows_fit_the_grids_and_load(name, swin_checkpoint,
                                                     swin_v2_checkpoint):
    """The depth configs' windows (the authors' 30/30/30/15 at 480 px,
    22/22/22/11 at 352 px) tile every stage grid without padding, shifting
    is off where a stage is one window, and a pre-trained encoder (windows
    4 / 4-4-4-2) loads into them with no missing key: tables resized, CPB
    normalised by the pre-training windows. The backbone is the config's
    with a tiny arch."""
    from pathlib import Path
    from mmengine.config import Config
    config = (Path(__file__).resolve().parents[3] / 'configs' / 'benchmarks'
              / 'glpdepth' / name)
    cfg = Config.fromfile(str(config))
    crop = cfg.model.data_preprocessor.size[0]
    backbone = cfg.model.backbone.to_dict()
    backbone['type'] = backbone['type'].split('.')[-1]
    backbone.pop('init_cfg')
    if DEPTH_CONFIGS[name] == 'v1':
        path, source = swin_checkpoint
        backbone.update(arch=SWIN_ARCH, pad_small_map=False)
    else:
        path, source = swin_v2_checkpoint
        backbone.update(arch=SWIN_V2_ARCH, pretrained_window_sizes=[4, 4, 4,
                                                                    2],
                        pad_small_map=False)
    target, _, missing, unexpected = finetune_backbone(backbone, path)
    assert missing == [] and unexpected == ['mask_token']
    src = source.state_dict()
    for i, stage in enumerate(target.stages):
        grid = crop // 4 // 2**i
        for block in stage.blocks:
            window = block.attn.window_size
            assert grid % window == 0, (name, i, grid, window)
            if grid == window:
                assert block.attn.shift_size == 0, (name, i)
    for key, value in target.named_parameters():
        if key.endswith('relative_position_bias_table'):
            window = int(math.isqrt(value.shape[0]) + 1) // 2
            assert value.shape[0] == (2 * window - 1)**2
        else:
            assert_same_tensor(value, src[key], key)
    # the windows the recipe names, stage by stage
    windows = [stage.blocks[0].attn.window_size for stage in target.stages]
    assert windows == ([30, 30, 30, 15] if crop == 480 else [22, 22, 22, 11])
    target.eval()
    with torch.no_grad():
        out = target(torch.randn(1, 3, crop, crop))[-1]
    assert out.shape == (1, 256, crop // 32, crop // 32)
    assert torch.isfinite(out).all()

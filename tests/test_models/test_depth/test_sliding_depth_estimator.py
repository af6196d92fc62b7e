"""SlidingDepthEstimator: sliding windows (grid and K evenly spaced square
windows), count-map averaging, flip TTA, errors; end-to-end with tiny
Swin + GLPDepthHead and ViT + DPTDepthHead."""
import numpy as np
import pytest
import torch
from log_capture import mmengine_messages
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch import nn

import sgmim.models.backbones  # noqa: F401  (TransferSwinTransformer)
import sgmim.models.depth  # noqa: F401  (registers the depth models)
from sgmim.models.depth import DepthHeadMixin
from sgmim.models.depth.depth_estimator import even_origins, window_origins


@MODELS.register_module(force=True)
class _ToyPixelBackbone(nn.Module):
    """1×1 conv: the feature at a pixel depends on that pixel only."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        return (self.conv(x), )


@MODELS.register_module(force=True)
class _ToyDepthHead(DepthHeadMixin, BaseDecodeHead):
    """depth = 10·sigmoid(1×1 conv (+ mean of the whole input window))."""

    def __init__(self, add_window_mean=False):
        super().__init__(4, 4, num_classes=1, out_channels=1, threshold=.5,
                         loss_decode=[], init_cfg=None)
        self._drop_seg_classifier()
        self._build_depth_losses(dict(type='SiLogLoss'))
        self.max_depth = 10.
        self.add_window_mean = add_window_mean
        self.proj = nn.Conv2d(4, 1, 1)

    def forward(self, inputs):
        x = inputs[-1]
        out = self.proj(x)
        if self.add_window_mean:
            out = out + x.mean(dim=(1, 2, 3), keepdim=True)
        return self._output_depth(out)


def toy_model(test_cfg, add_window_mean=False, cls='SlidingDepthEstimator'):
    torch.manual_seed(0)
    return MODELS.build(
        dict(type=cls, backbone=dict(type='_ToyPixelBackbone'),
             decode_head=dict(type='_ToyDepthHead',
                              add_window_mean=add_window_mean),
             test_cfg=ConfigDict(test_cfg))).eval()


def swin_glp_model(test_cfg):
    torch.manual_seed(0)
    return MODELS.build(
        dict(type='SlidingDepthEstimator',
             backbone=dict(
                 type='mmpretrain.TransferSwinTransformer',
                 arch=dict(embed_dims=16, depths=[1, 1, 1, 1],
                           num_heads=[1, 1, 2, 2]),
                 img_size=64, window_size=2, out_indices=(3, ),
                 drop_path_rate=0., pad_small_map=True),
             decode_head=dict(type='GLPDepthHead', in_channels=128,
                              channels=8, max_depth=10.),
             test_cfg=test_cfg)).eval()


def metas(n, h, w):
    return [dict(ori_shape=(h, w), img_shape=(h, w), pad_shape=(h, w))] * n


def infer(model, x):
    with torch.no_grad():
        return model.inference(x, metas(len(x), *x.shape[2:]))


def test_window_origins():
    assert even_origins(640, 480, 2) == [0, 160]  # NYU 480 x 640, K = 2
    kitti = even_origins(1216, 352, 16)  # KITTI 352 x 1216, K = 16
    assert kitti[0] == 0 and kitti[-1] == 1216 - 352 and len(kitti) == 16
    assert np.allclose(np.diff(kitti), 864 / 15, atol=1)
    assert window_origins(100, 40, 30) == [0, 30, 60]
    assert window_origins(64, 64, 7) == [0]
    assert even_origins(121, 120, 3) == [0, 1]  # coinciding windows once
    assert even_origins(32, 32, 2) == [0]


@pytest.mark.parametrize('test_cfg, shape', [
    (dict(mode='slide', crop_size=(64, 96), stride=(32, 32)), (64, 96)),
    # num_windows takes precedence over crop_size / stride
    (dict(mode='slide', num_windows=1, crop_size=(8, 8), stride=(4, 4)),
     (64, 64)),
])
def test_slide_equals_whole_when_window_covers_image(test_cfg, shape):
    x = torch.randn(2, 3, *shape)
    slide = infer(swin_glp_model(test_cfg), x)
    whole = infer(swin_glp_model(dict(mode='whole')), x)
    assert slide.shape == (2, 1) + shape
    torch.testing.assert_close(slide, whole, atol=1e-6, rtol=0)


@pytest.mark.parametrize('test_cfg', [
    dict(mode='slide', num_windows=2),
    dict(mode='slide', num_windows=5),
    dict(mode='slide', crop_size=(16, 24), stride=(8, 10)),
])
def test_pixelwise_model_slide_equals_whole(test_cfg):
    x = torch.randn(2, 3, 32, 60)
    slide = infer(toy_model(test_cfg), x)
    whole = infer(toy_model(dict(mode='whole')), x)
    torch.testing.assert_close(slide, whole, atol=1e-6, rtol=0)


def test_window_dependent_model_matches_brute_force():
    """Each window adds its own mean: the canvas must be the count-weighted
    average of the windows at the expected positions."""
    x = torch.randn(1, 3, 20, 50)
    model = toy_model(dict(mode='slide', num_windows=3), add_window_mean=True)
    slide = infer(model, x)[0, 0].numpy()
    total, count = np.zeros((20, 50)), np.zeros((20, 50))
    for x0 in (0, 15, 30):  # round(k * (50 - 20) / 2)
        crop = x[:, :, :, x0:x0 + 20]
        with torch.no_grad():
            total[:, x0:x0 + 20] += model.whole_inference(
                crop, metas(1, 20, 20))[0, 0].numpy()
        count[:, x0:x0 + 20] += 1
    np.testing.assert_allclose(slide, total / count, atol=1e-6)
    whole = infer(toy_model(dict(mode='whole'), True), x)[0, 0].numpy()
    assert np.abs(slide - whole).max() > 1e-3  # windows really differ


def test_mmseg_depth_estimator_slide_pitfall():
    """What this class fixes: mmseg 1.2.2's ``DepthEstimator`` in
    ``mode='slide'`` runs the windows, then overwrites the result with whole
    inference, which (the windows having written the crop shape into the
    shared metas) is resized to the crop size."""
    x = torch.randn(1, 3, 20, 50)
    cfg = dict(mode='slide', crop_size=(20, 20), stride=(15, 15))
    with torch.no_grad():
        mmseg = toy_model(cfg, True, cls='DepthEstimator').inference(
            x, metas(1, 20, 50))
    assert mmseg.shape[2:] == (20, 20)
    ours_metas = metas(1, 20, 50)
    with torch.no_grad():
        ours = toy_model(cfg, True).inference(x, ours_metas)
    assert ours.shape[2:] == (20, 50)
    assert ours_metas == metas(1, 20, 50)  # metas left untouched


@pytest.mark.parametrize('test_cfg', [
    dict(mode='whole', flip=True),
    dict(mode='slide', num_windows=2, flip=True),
    dict(mode='slide_flip', crop_size=(64, 64), stride=(32, 32)),
])
def test_flip_tta_is_mean_of_both_passes(test_cfg):
    x = torch.randn(1, 3, 64, 96)
    no_flip = dict(test_cfg, flip=False)
    if no_flip['mode'] == 'slide_flip':
        no_flip['mode'] = 'slide'
    plain = swin_glp_model(no_flip)
    a = infer(plain, x)
    b = infer(plain, x.flip(3)).flip(3)
    assert not torch.allclose(a, b)  # the model is not mirror-symmetric
    tta = infer(swin_glp_model(test_cfg), x)
    torch.testing.assert_close(tta, (a + b) / 2, atol=1e-6, rtol=0)


@pytest.mark.parametrize('test_cfg, shrunk_cfg', [
    # portrait input: the 48 x 48 window of num_windows is 48 x 32, the
    # whole input (the synth NYU config on a portrait image)
    (dict(mode='slide', num_windows=2, flip=True), dict(mode='whole',
                                                        flip=True)),
    (dict(mode='slide', crop_size=(64, 64), stride=(32, 32)),
     dict(mode='whole')),
    # larger on one side only: 16 x 64 -> 16 x 32, sliding down the height
    (dict(mode='slide', crop_size=(16, 64), stride=(8, 32)),
     dict(mode='slide', crop_size=(16, 32), stride=(8, 32))),
])
def test_window_larger_than_input_is_shrunk(test_cfg, shrunk_cfg):
    """The prediction equals that of the window shrunk to the input (a
    window-dependent model tells the windows apart), has the input size,
    and the shrinking is logged once."""
    x = torch.randn(1, 3, 48, 32)
    model = toy_model(test_cfg, add_window_mean=True)
    with mmengine_messages() as messages:
        depth = infer(model, x)
        infer(model, x)
    assert depth.shape == (1, 1, 48, 32) and torch.isfinite(depth).all()
    expected = infer(toy_model(shrunk_cfg, add_window_mean=True), x)
    torch.testing.assert_close(depth, expected, atol=1e-6, rtol=0)
    shrinking = [m for m in messages if 'shrinking it to' in m]
    assert len(shrinking) == 1 and 'larger than the input (48, 32)' in \
        shrinking[0]


def test_errors():
    with pytest.raises(ValueError, match='num_windows'):
        toy_model(dict(mode='slide', num_windows=0))
    with pytest.raises(ValueError, match='crop_size'):
        toy_model(dict(mode='slide'))
    with pytest.raises(ValueError, match='mode'):
        toy_model(dict(mode='sliding'))


@pytest.mark.parametrize('num, shape, hint', [(1, (32, 48), 2),
                                              (3, (10, 35), 4)])
def test_too_few_windows_name_the_images(num, shape, hint):
    x = torch.randn(2, 3, *shape)
    batch_metas = [dict(meta, img_path=f'nyu/{i}.jpg')
                   for i, meta in enumerate(metas(2, *shape))]
    with pytest.raises(ValueError) as error:
        toy_model(dict(mode='slide', num_windows=num)).inference(
            x, batch_metas)
    assert str(error.value).startswith('images nyu/0.jpg, nyu/1.jpg: ')
    assert f'num_windows >= {hint}' in str(error.value)


def samples(gt, ori_shape, padding):
    out = []
    for g in gt:
        s = SegDataSample(metainfo=dict(
            ori_shape=ori_shape, img_shape=ori_shape, pad_shape=g.shape[1:],
            padding_size=padding))
        s.gt_depth_map = PixelData(data=g)
        out.append(s)
    return out


def test_swin_glpdepth_end_to_end():
    model = swin_glp_model(dict(mode='slide', num_windows=2, flip=True))
    model.train()
    x = torch.randn(2, 3, 64, 96)
    gt = 0.5 + 9 * torch.rand(2, 1, 64, 96)
    losses = model.loss(x, samples(gt, (64, 96), [0, 0, 0, 0]))
    assert set(losses) == {'decode.loss_silog'}
    losses['decode.loss_silog'].backward()
    model.eval()
    with torch.no_grad():
        out = model.predict(x, samples(gt, (60, 90), [0, 6, 0, 4]))
    assert out[0].pred_depth_map.data.shape == (1, 60, 90)


def test_vit_dpt_end_to_end():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(type='SlidingDepthEstimator',
             backbone=dict(
                 type='mmpretrain.VisionTransformer',
                 arch=dict(embed_dims=32, num_layers=4, num_heads=2,
                           feedforward_channels=64),
                 img_size=64, patch_size=16, out_indices=(0, 1, 2, 3),
                 out_type='featmap', final_norm=False),
             decode_head=dict(type='DPTDepthHead', in_channels=(32, ) * 4,
                              channels=16, embed_dims=32,
                              post_process_channels=(8, 8, 16, 16),
                              max_depth=80.),
             test_cfg=dict(mode='slide', num_windows=3, flip=True)))
    x = torch.randn(2, 3, 64, 128)
    gt = 1 + 70 * torch.rand(2, 1, 64, 128)
    losses = model.loss(x, samples(gt, (64, 128), [0, 0, 0, 0]))
    losses['decode.loss_silog'].backward()
    model.eval()
    with torch.no_grad():
        out = model.predict(x, samples(gt, (64, 128), [0, 0, 0, 0]))
    depth = out[1].pred_depth_map.data
    assert depth.shape == (1, 64, 128) and 0 < depth.min() < 80

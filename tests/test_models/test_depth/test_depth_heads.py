"""GLPDepthHead / DPTDepthHead: architecture, shapes, SiLog loss against the
REFERENCE §5 formula, prediction resizing; the paper's and the authors' code
GLPDepth head widths and initialisation."""
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from torch import nn

import sgmim.models.depth  # noqa: F401  (registers the depth models)
from sgmim.models.depth.glpdepth_head import GLPDEPTH_AUTHORS_INIT_CFG

GLPDEPTH_CONFIGS = (Path(__file__).resolve().parents[3] / 'configs' /
                    'benchmarks' / 'glpdepth')
AUTHORS_HEAD_CONFIG = (GLPDEPTH_CONFIGS /
                       'glpdepth-authorshead_swinv2-base-w30_8xb3-25e_'
                       'nyu-480x480.py')


def reference_silog(pred, gt):
    """REFERENCE §5, per image then batch mean (numpy, float64):
    sqrt(mean d² − 0.5 (mean d)²), d = log gt − log pred on gt > 0."""
    losses = []
    for p, g in zip(pred.reshape(len(pred), -1), gt.reshape(len(gt), -1)):
        valid = g > 0
        d = np.log(g[valid]) - np.log(p[valid])
        losses.append(math.sqrt((d**2).mean() - 0.5 * d.mean()**2))
    return float(np.mean(losses))


def samples_with_gt(gt):
    out = []
    for g in gt:
        s = SegDataSample()
        s.gt_depth_map = PixelData(data=g)
        out.append(s)
    return out


def random_gt(batch, size, seed=0):
    g = torch.Generator().manual_seed(seed)
    gt = 0.5 + 9 * torch.rand(batch, 1, size, size, generator=g)
    gt[torch.rand(gt.shape, generator=g) < 0.2] = 0  # invalid pixels
    return gt


def test_mmseg_silog_is_reference_formula():
    g = torch.Generator().manual_seed(1)
    pred = 0.1 + 10 * torch.rand(3, 1, 9, 7, generator=g, dtype=torch.float64)
    gt = random_gt(3, 9, seed=2)[..., :7].double()
    loss = MODELS.build(dict(type='SiLogLoss'))(pred, gt)
    assert loss.item() == pytest.approx(
        reference_silog(pred.numpy(), gt.numpy()), rel=1e-9)


@pytest.mark.parametrize('stride, n_deconv', [(32, 3), (16, 2), (4, 0)])
def test_glpdepth_architecture_and_shapes(stride, n_deconv):
    head = MODELS.build(
        dict(type='GLPDepthHead', in_channels=24, in_stride=stride,
             max_depth=10.))
    head.init_weights()
    deconvs = [m for m in head.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert len(deconvs) == n_deconv == head.num_deconvs
    for m in deconvs:
        assert m.kernel_size == (2, 2) and m.stride == (2, 2)
        assert m.bias is None and m.out_channels == 32
    if n_deconv:
        kinds = [type(m) for m in head.deconv_layers]
        assert kinds == [nn.ConvTranspose2d, nn.BatchNorm2d, nn.ReLU] * \
            n_deconv
    last = head.depth_pred_layer[-1]
    assert last.out_channels == 1 and last.kernel_size == (3, 3)
    assert not hasattr(head, 'conv_seg')
    feats = (torch.randn(2, 8, 4, 4), torch.randn(2, 24, 3, 5))
    out = head(feats)
    assert out.shape == (2, 1, 3 * stride, 5 * stride)
    assert out.min() > 0 and out.max() < 10.


def test_glpdepth_errors():
    with pytest.raises(ValueError, match='power of two'):
        MODELS.build(dict(type='GLPDepthHead', in_channels=8, in_stride=24))
    with pytest.raises(TypeError, match='one stage'):
        MODELS.build(dict(type='GLPDepthHead', in_channels=[8, 16]))
    head = MODELS.build(dict(type='GLPDepthHead', in_channels=8))
    with pytest.raises(ValueError, match=r'\(B, 8, h, w\)'):
        head((torch.randn(1, 16, 2, 2), ))


def test_glpdepth_loss_and_predict():
    torch.manual_seed(0)
    head = MODELS.build(
        dict(type='GLPDepthHead', in_channels=16, in_stride=32))
    head.init_weights()
    feats = (torch.randn(2, 16, 2, 2), )
    gt = random_gt(2, 48)  # prediction is 64 x 64: resized to 48 x 48
    losses = head.loss(feats, samples_with_gt(gt), None)
    assert set(losses) == {'loss_silog'}
    pred = nn.functional.interpolate(
        head(feats), size=(48, 48), mode='bilinear', align_corners=False)
    expected = reference_silog(pred.detach().double().numpy(),
                               gt.double().numpy())
    assert losses['loss_silog'].item() == pytest.approx(expected, rel=1e-5)
    losses['loss_silog'].backward()
    grads = [p.grad for p in head.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)

    metas = [dict(img_shape=(60, 70), pad_shape=(64, 80))] * 2
    assert head.predict(feats, metas, None).shape == (2, 1, 64, 80)
    metas = [dict(img_shape=torch.Size((40, 50)), pad_shape=(64, 80))]
    assert head.predict((feats[0][:1], ), metas,
                        None).shape == (1, 1, 40, 50)


def test_glpdepth_loss_list():
    head = MODELS.build(
        dict(type='GLPDepthHead', in_channels=8,
             loss_decode=[dict(type='SiLogLoss'),
                          dict(type='SiLogLoss', loss_weight=2.)]))
    feats = (torch.randn(1, 8, 1, 1), )
    gt = random_gt(1, 32)
    loss = head.loss(feats, samples_with_gt(gt), None)['loss_silog']
    single = reference_silog(head(feats).detach().double().numpy(),
                             gt.double().numpy())
    assert loss.item() == pytest.approx(3 * single, rel=1e-5)


def glpdepth_parameter_shapes(c_in, c, c_h):
    """Expected parameters of a stride-32 GLPDepthHead: 3 deconvolutions of
    ``c`` filters (+ BN), conv to ``c_h`` (+ BN), conv c_h -> c_h,
    conv c_h -> 1."""
    shapes = {}
    for i, cin in enumerate((c_in, c, c)):
        shapes[f'deconv_layers.{3 * i}.weight'] = (cin, c, 2, 2)  # no bias
        shapes[f'deconv_layers.{3 * i + 1}.weight'] = (c, )
        shapes[f'deconv_layers.{3 * i + 1}.bias'] = (c, )
    shapes.update({
        'conv.0.weight': (c_h, c, 3, 3), 'conv.0.bias': (c_h, ),
        'conv.1.weight': (c_h, ), 'conv.1.bias': (c_h, ),
        'depth_pred_layer.0.weight': (c_h, c_h, 3, 3),
        'depth_pred_layer.0.bias': (c_h, ),
        'depth_pred_layer.2.weight': (1, c_h, 3, 3),
        'depth_pred_layer.2.bias': (1, )
    })
    return shapes


def head_cfg_of(config_path):
    cfg = Config.fromfile(str(config_path)).model.decode_head
    return cfg.to_dict()


def test_glpdepth_paper_and_authors_widths():
    paper_cfg = head_cfg_of(
        GLPDEPTH_CONFIGS / 'glpdepth_swinv2-base-w30_8xb3-25e_nyu-480x480.py')
    authors_cfg = head_cfg_of(AUTHORS_HEAD_CONFIG)
    assert paper_cfg.get('head_channels') is None  # the default: the paper
    assert authors_cfg['head_channels'] == 128
    assert authors_cfg['init_cfg'] == GLPDEPTH_AUTHORS_INIT_CFG
    for cfg, c_h in ((paper_cfg, 32), (authors_cfg, 128)):
        head = MODELS.build(cfg)
        assert head.head_channels == c_h
        shapes = {n: tuple(p.shape) for n, p in head.named_parameters()}
        assert shapes == glpdepth_parameter_shapes(1024, 32, c_h)
        out = head((torch.randn(1, 1024, 2, 3), ))
        assert out.shape == (1, 1, 64, 96)
    with pytest.raises(ValueError, match='head_channels'):
        MODELS.build(dict(type='GLPDepthHead', in_channels=8,
                          head_channels=0))


def test_glpdepth_authors_init():
    torch.manual_seed(0)
    head = MODELS.build(head_cfg_of(AUTHORS_HEAD_CONFIG))
    norms = [m for m in head.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(norms) == 4
    for m in norms:  # prove the Constant init runs (PyTorch's is 1 / 0 too)
        nn.init.constant_(m.weight, 5.)
        nn.init.constant_(m.bias, 3.)
    head.init_weights()
    convs = [m for m in head.modules()
             if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    assert len(convs) == 6
    for m in convs:
        w = m.weight.detach().double()
        # N(0, 0.001²): std within ~5 standard errors, mean ~0
        n = w.numel()
        assert w.std().item() == pytest.approx(0.001,
                                               rel=5 / math.sqrt(2 * n))
        assert abs(w.mean().item()) < 5 * 0.001 / math.sqrt(n)
        if m.bias is not None:
            assert torch.count_nonzero(m.bias) == 0
    # a plain (untruncated) normal: 68.3 % within one std on the big ones
    for w in (head.deconv_layers[0].weight, head.depth_pred_layer[0].weight):
        inside = (w.abs() < 0.001).double().mean().item()
        assert inside == pytest.approx(0.6827, abs=0.01)
        assert w.abs().max() > 0.004  # > 4 std: not TruncNormal's ±2 bound
    for m in norms:
        assert torch.all(m.weight == 1) and torch.all(m.bias == 0)
    # tiny prediction convs: the output starts at sigmoid(~0)·max_depth = 5 m
    out = head((torch.randn(1, 1024, 2, 2), ))
    assert torch.allclose(out, torch.full_like(out, 5.), atol=1e-2)


def test_glpdepth_default_init_unchanged():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='GLPDepthHead', in_channels=256))
    assert head.head_channels == head.channels == 32
    head.init_weights()
    w = head.depth_pred_layer[0].weight.detach().double()  # 9216 weights
    # TruncNormal(std=0.02) with bounds ±2 (absolute, i.e. 100 std): 0.02
    assert w.std().item() == pytest.approx(0.02, rel=0.05)
    for m in head.modules():
        if isinstance(m, nn.Conv2d):
            assert torch.count_nonzero(m.bias) == 0


def dpt_cfg(**kwargs):
    return dict(type='DPTDepthHead', in_channels=(32, ) * 4, channels=16,
                embed_dims=32, post_process_channels=(8, 8, 16, 16),
                head_channels=8, max_depth=80., **kwargs)


def test_dpt_depth_head():
    torch.manual_seed(0)
    head = MODELS.build(dpt_cfg())
    head.init_weights()
    assert not hasattr(head, 'conv_seg')
    feats = [torch.randn(2, 32, 4, 6) for _ in range(4)]  # 64 x 96, patch 16
    out = head(feats)
    assert out.shape == (2, 1, 64, 96)
    assert out.min() > 0 and out.max() < 80.
    # (feature, cls token) pairs as mmseg's ViT gives them: same result
    pairs = [(f, torch.randn(2, 32)) for f in feats]
    assert torch.equal(head(pairs), out)

    gt = random_gt(2, 64)[..., :64] * 8
    gt = torch.cat([gt, gt[..., :32]], dim=3)
    loss = head.loss(feats, samples_with_gt(gt), None)['loss_silog']
    assert loss.item() == pytest.approx(
        reference_silog(out.detach().double().numpy(), gt.double().numpy()),
        rel=1e-5)
    loss.backward()
    metas = [dict(img_shape=(64, 90), pad_shape=(64, 96))] * 2
    assert head.predict(feats, metas, None).shape == (2, 1, 64, 96)


def test_dpt_depth_head_variants_and_errors():
    head = MODELS.build(dpt_cfg(readout_type='project', depth_act='relu'))
    feats = [torch.randn(2, 32, 2, 2) for _ in range(4)]
    with pytest.raises(ValueError, match='cls_token'):
        head(feats)
    out = head([(f, torch.randn(2, 32)) for f in feats])
    assert out.shape == (2, 1, 32, 32) and out.min() >= 0
    with pytest.raises(ValueError, match='exactly 4'):
        MODELS.build(dpt_cfg(in_index=(0, 1, 2)))
    with pytest.raises(ValueError, match='depth_act'):
        MODELS.build(dpt_cfg(depth_act='tanh'))
    with pytest.raises(ValueError, match=r'\(B, 32, h, w\)'):
        MODELS.build(dpt_cfg())([torch.randn(1, 16, 2, 2)] * 4)

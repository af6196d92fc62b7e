"""ViTDet's LN2d and SimpleFPN, and a tiny Mask R-CNN with an mmpretrain ViT
backbone and the SimpleFPN neck."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import ConfigDict
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

from sgmim.models.vitdet import LN2d, SimpleFPN
from tiny_models import tiny_mask_rcnn

LN2D = dict(type='LN2d', requires_grad=True)


def build(cfg):
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(ConfigDict(cfg))


def test_ln2d_matches_layer_norm_over_channels():
    torch.manual_seed(0)
    ln = LN2d(6, eps=1e-6)
    with torch.no_grad():
        ln.weight.normal_()
        ln.bias.normal_()
    x = torch.randn(2, 6, 5, 7) * 3 + 1
    ref = F.layer_norm(x.permute(0, 2, 3, 1), (6, ), ln.weight, ln.bias,
                       1e-6).permute(0, 3, 1, 2)
    torch.testing.assert_close(ln(x), ref, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match='expects'):
        ln(torch.randn(2, 5, 4, 4))


def test_simple_fpn_strides_and_levels():
    torch.manual_seed(0)
    neck = build(
        dict(type='SimpleFPN', backbone_channel=32,
             in_channels=[8, 16, 32, 32], out_channels=12, num_outs=5,
             norm_cfg=LN2D)).eval()
    assert isinstance(neck, SimpleFPN)
    # the config's norm type is used, between the deconvs and in ConvModules
    assert isinstance(neck.fpn1[1], LN2d)
    assert isinstance(neck.lateral_convs[0].norm, LN2d)
    assert isinstance(neck.fpn_convs[3].norm, LN2d)
    h, w = 4, 6  # a stride-16 map of a 64 x 96 image
    x = torch.randn(2, 32, h, w)
    outs = neck((x, ))  # a backbone's tuple output is accepted
    assert [tuple(o.shape) for o in outs] == [
        (2, 12, 16, 24), (2, 12, 8, 12), (2, 12, 4, 6), (2, 12, 2, 3),
        (2, 12, 1, 2)]  # strides 4, 8, 16, 32, 64
    with torch.no_grad():
        # stride 16: identity, stride 32: 2x2 max pool, then lateral + out
        for level, inp in ((2, x), (3, F.max_pool2d(x, 2))):
            ref = neck.fpn_convs[level](neck.lateral_convs[level](inp))
            torch.testing.assert_close(outs[level], ref)
        # stride 8: one 2x2 stride-2 deconv = a per-pixel linear map
        up = torch.einsum('nchw,cdij->ndhiwj', x, neck.fpn2[0].weight)
        up = up.reshape(2, 16, 2 * h, 2 * w) + neck.fpn2[0].bias[:, None,
                                                                 None]
        torch.testing.assert_close(
            outs[1], neck.fpn_convs[1](neck.lateral_convs[1](up)),
            rtol=1e-4, atol=1e-5)
        # extra level: stride-2 subsampling of the last one
        torch.testing.assert_close(outs[4], outs[3][..., ::2, ::2])
    with pytest.raises(ValueError, match='in_channels'):
        SimpleFPN(32, [8, 16, 32], 12, 5, norm_cfg=LN2D)
    with pytest.raises(ValueError, match='expects'):
        neck(torch.randn(1, 16, 4, 4))


def tiny_vit_mask_rcnn(ch=16):
    model = tiny_mask_rcnn(
        backbone=dict(
            type='mmpretrain.VisionTransformer',
            arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                      feedforward_channels=64),
            img_size=64, patch_size=16, out_type='featmap',
            with_cls_token=False, final_norm=True),
        neck=dict(type='SimpleFPN', backbone_channel=32,
                  in_channels=[8, 16, 32, 32], out_channels=ch, num_outs=5,
                  norm_cfg=LN2D),
        ch=ch,
        bbox_head=dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=ch,
                       norm_cfg=LN2D),
        mask_head=dict(norm_cfg=LN2D),
        score_thr=0.0)
    return model


def det_sample(h, w, boxes, labels):
    sample = DetDataSample(metainfo=dict(
        img_shape=(h, w), ori_shape=(h, w), scale_factor=(1., 1.)))
    masks = torch.zeros(len(boxes), h, w, dtype=torch.uint8)
    for m, (x1, y1, x2, y2) in zip(masks, boxes):
        m[y1:y2, x1:x2] = 1
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor(boxes, dtype=torch.float32),
        labels=torch.tensor(labels), masks=BitmapMasks(masks.numpy(), h, w))
    return sample


def test_vit_simple_fpn_mask_rcnn_loss():
    torch.manual_seed(0)
    model = build(tiny_vit_mask_rcnn())
    assert type(model.backbone).__name__ == 'VisionTransformer'
    h, w = 64, 80  # padded to 64 x 96 -> a 4 x 6 stride-16 map
    data = dict(
        inputs=[torch.randint(0, 256, (3, h, w), dtype=torch.uint8)
                for _ in range(2)],
        data_samples=[
            det_sample(h, w, [[4, 6, 30, 40], [40, 20, 76, 60]], [0, 1]),
            det_sample(h, w, [[10, 10, 50, 50]], [1])])
    data = model.data_preprocessor(data, training=True)
    assert data['inputs'].shape == (2, 3, 64, 96)
    feats = model.extract_feat(data['inputs'])
    assert [tuple(f.shape[-2:]) for f in feats] == [(16, 24), (8, 12), (4, 6),
                                                     (2, 3), (1, 2)]
    losses = model.loss(data['inputs'], data['data_samples'])
    for key in ('loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox',
                'loss_mask'):
        assert key in losses
    total = sum(v.sum() if isinstance(v, torch.Tensor) else sum(v)
                for v in losses.values())
    assert torch.isfinite(total)
    total.backward()
    for name in ('backbone.patch_embed.projection.weight',
                 'backbone.layers.0.attn.qkv.weight',
                 'neck.fpn1.0.weight', 'neck.fpn1.1.weight',
                 'neck.lateral_convs.0.conv.weight'):
        grad = dict(model.named_parameters())[name].grad
        assert grad is not None and grad.abs().sum() > 0, name
    # inference runs too
    model.eval()
    with torch.no_grad():
        preds = model.predict(data['inputs'], data['data_samples'])
    assert len(preds) == 2 and preds[0].pred_instances.masks.shape[-2:] == (
        h, w)

"""LayerDecayOptimWrapperConstructor on tiny mmpretrain ViT / Swin / SwinV2
backbones inside mmseg, mmdet and mmpretrain models, against hand-written
tables of lr scales."""
import pytest
from mmengine.config import ConfigDict
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from torch import nn

import sgmim.engine.optimizers.layer_decay_constructor as ld_module
import sgmim.models.vitdet  # noqa: F401  (SimpleFPN / LN2d for the ViT det)
from sgmim.engine.optimizers import LayerDecayOptimWrapperConstructor
from tiny_models import tiny_mask_rcnn

RATE = 0.5  # powers of two: the expected scales are exact
LR, WD = 1e-3, 0.05

VIT = dict(
    type='mmpretrain.VisionTransformer',
    arch=dict(embed_dims=32, num_layers=3, num_heads=2,
              feedforward_channels=64),
    img_size=64, patch_size=16, out_type='featmap', out_indices=(0, 1, 2))
SWIN = dict(
    type='mmpretrain.SwinTransformer',
    arch=dict(embed_dims=16, depths=[1, 2, 1, 1], num_heads=[1, 1, 1, 1]),
    img_size=64, window_size=2, use_abs_pos_embed=True,
    out_indices=(0, 1, 2, 3))
SWINV2 = dict(
    type='mmpretrain.SwinTransformerV2',
    arch=dict(embed_dims=16, depths=[1, 2, 1, 1], num_heads=[1, 1, 1, 1],
              extra_norm_every_n_blocks=0),
    img_size=64, window_size=[2, 2, 2, 1], out_indices=(0, 1, 2, 3))
BACKBONES = dict(vit=VIT, swin=SWIN, swinv2=SWINV2)
CHANNELS = dict(vit=[32] * 4, swin=[16, 32, 64, 128], swinv2=[16, 32, 64, 128])

# Hand-written: backbone-relative name prefix -> k with lr scale RATE ** k.
# ViT, 3 blocks (L = 3, top id 4): embedding 0 -> k 4, layers.i -> k 3 - i,
# final norm ln1 -> id 4 -> k 0.
EXPECTED_K = dict(
    vit={
        'cls_token': 4, 'pos_embed': 4, 'patch_embed.': 4,
        'layers.0.': 3, 'layers.1.': 2, 'layers.2.': 1, 'ln1.': 0,
    },
    # Swin depths [1, 2, 1, 1] (L = 5, top id 6): block ids 1 | 2 3 | 4 | 5,
    # downsample at the end of stage s -> id of the stage's last block.
    swin={
        'patch_embed.': 6, 'absolute_pos_embed': 6,
        'stages.0.blocks.0.': 5, 'stages.0.downsample.': 5,
        'stages.1.blocks.0.': 4, 'stages.1.blocks.1.': 3,
        'stages.1.downsample.': 3,
        'stages.2.blocks.0.': 2, 'stages.2.downsample.': 2,
        'stages.3.blocks.0.': 1,
        'norm0.': 0, 'norm1.': 0, 'norm2.': 0, 'norm3.': 0,
    },
    # SwinV2: the same patch-merging layers sit at the start of stages 1-3 and
    # keep the id of the block feeding them.
    swinv2={
        'patch_embed.': 6,
        'stages.0.blocks.0.': 5, 'stages.1.downsample.': 5,
        'stages.1.blocks.0.': 4, 'stages.1.blocks.1.': 3,
        'stages.2.downsample.': 3,
        'stages.2.blocks.0.': 2, 'stages.3.downsample.': 2,
        'stages.3.blocks.0.': 1,
        'norm0.': 0, 'norm1.': 0, 'norm2.': 0, 'norm3.': 0,
    })
# Multi-dimensional parameters that must not be decayed, per backbone.
EXPECTED_ND_NO_DECAY = dict(
    vit={'cls_token', 'pos_embed'},
    swin={'absolute_pos_embed', 'relative_position_bias_table'},
    swinv2={'cpb_mlp.0.weight', 'cpb_mlp.2.weight', 'logit_scale'})


def seg_model(kind):
    return dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor'),
        backbone=BACKBONES[kind],
        decode_head=dict(
            type='UPerHead', in_channels=CHANNELS[kind],
            in_index=[0, 1, 2, 2] if kind == 'vit' else [0, 1, 2, 3],
            pool_scales=(1, 2), channels=16, num_classes=3,
            norm_cfg=dict(type='BN')),
        auxiliary_head=dict(
            type='FCNHead', in_channels=CHANNELS[kind][2], in_index=2,
            channels=8, num_convs=1, num_classes=3,
            norm_cfg=dict(type='BN')))


def det_model(kind):
    if kind == 'vit':
        neck = dict(type='SimpleFPN', backbone_channel=32,
                    in_channels=[8, 16, 32, 32], out_channels=16, num_outs=5,
                    norm_cfg=dict(type='LN2d', requires_grad=True))
        backbone = dict(VIT, out_indices=(2, ))
    else:
        neck = dict(type='FPN', in_channels=CHANNELS[kind], out_channels=16,
                    num_outs=5)
        backbone = BACKBONES[kind]
    return tiny_mask_rcnn(backbone, neck)


def cls_model(kind):
    return dict(
        type='ImageClassifier', backbone=dict(BACKBONES[kind], type=BACKBONES[
            kind]['type'].split('.')[1]),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=3,
                  in_channels=CHANNELS[kind][-1]))


def build(wrapper, kind):
    """(model, backbone prefix) built in its library's default scope."""
    if wrapper == 'mmseg':
        from mmseg.registry import MODELS
        cfg, scope = seg_model(kind), 'mmseg'
    elif wrapper == 'mmdet':
        from mmdet.registry import MODELS
        cfg, scope = det_model(kind), 'mmdet'
    else:
        from mmpretrain.registry import MODELS
        cfg, scope = cls_model(kind), 'mmpretrain'
        if wrapper == 'bare':
            cfg = cfg['backbone']
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(ConfigDict(cfg))
    return model, scope, ('' if wrapper == 'bare' else 'backbone.')


def expected_scale(name, kind, prefix):
    if not name.startswith(prefix):
        return 1.0  # neck / heads: top layer id
    rel = name[len(prefix):]
    matches = [k for p, k in EXPECTED_K[kind].items()
               if rel == p or (p.endswith('.') and rel.startswith(p))]
    assert len(matches) == 1, f'{name}: no unique entry in the table'
    return RATE**matches[0]


def optim_cfg(**paramwise):
    return dict(
        optimizer=dict(type='AdamW', lr=LR, weight_decay=WD),
        constructor='LayerDecayOptimWrapperConstructor',
        paramwise_cfg=dict(layer_decay_rate=RATE, **paramwise))


def settings_by_name(optim_wrapper):
    out = {}
    for group in optim_wrapper.optimizer.param_groups:
        assert len(group['params']) == len(group['param_names'])
        for name in group['param_names']:
            assert name not in out, f'{name} in two groups'
            out[name] = group
    return out


@pytest.mark.parametrize('kind', ['vit', 'swin', 'swinv2'])
@pytest.mark.parametrize('wrapper', ['mmseg', 'mmdet', 'mmpretrain', 'bare'])
def test_lr_scales_and_weight_decay(wrapper, kind):
    model, scope, prefix = build(wrapper, kind)
    with DefaultScope.overwrite_default_scope(scope):  # as in the Runner
        optim_wrapper = build_optim_wrapper(model, optim_cfg())
    groups = settings_by_name(optim_wrapper)
    params = dict(model.named_parameters())
    assert set(groups) == set(params)
    for pattern in EXPECTED_K[kind]:  # every table row is used
        assert any(n[len(prefix):].startswith(pattern) for n in params
                   if n.startswith(prefix)), pattern
    nd_no_decay = EXPECTED_ND_NO_DECAY[kind]
    seen_nd = set()
    for name, param in params.items():
        group = groups[name]
        scale = expected_scale(name, kind, prefix)
        assert group['lr_scale'] == scale, name
        assert group['lr'] == pytest.approx(LR * scale, rel=1e-12), name
        assert any(p is param for p in group['params'])
        no_decay = param.ndim == 1 or any(
            name.endswith(s) for s in nd_no_decay)
        if no_decay and param.ndim > 1:
            seen_nd.add(next(s for s in nd_no_decay if name.endswith(s)))
        assert group['weight_decay'] == (0. if no_decay else WD), name
    # every multi-dimensional no-decay kind really occurred
    assert {s.split('.')[0] for s in seen_nd} == {
        s.split('.')[0] for s in nd_no_decay}
    # the optimizer accepts the groups and steps
    sum(p.sum() for p in params.values()).backward()
    optim_wrapper.step()


def test_custom_keys_and_mmengine_mults_still_apply():
    model, scope, _ = build('mmseg', 'vit')
    cfg = optim_cfg(custom_keys={'decode_head': dict(lr_mult=10.)},
                    norm_decay_mult=1.0)
    with DefaultScope.overwrite_default_scope(scope):
        groups = settings_by_name(build_optim_wrapper(model, cfg))
    # custom key on top of the layer scale (heads: scale 1)
    head = groups['decode_head.conv_seg.weight']
    assert head['lr'] == pytest.approx(10 * LR) and head['weight_decay'] == WD
    # norm_decay_mult=1 keeps decay on LayerNorm weights, biases still 0
    ln = groups['backbone.layers.1.ln1.weight']
    assert ln['weight_decay'] == WD and ln['lr'] == pytest.approx(LR * 0.25)
    assert groups['backbone.layers.1.attn.qkv.bias']['weight_decay'] == 0.
    assert groups['backbone.cls_token']['weight_decay'] == 0.


def test_group_table_is_logged(monkeypatch):
    messages = []
    monkeypatch.setattr(ld_module, 'print_log',
                        lambda msg, **kw: messages.append((msg, kw)))
    model, _, _ = build('bare', 'vit')
    LayerDecayOptimWrapperConstructor(
        dict(optimizer=dict(type='SGD', lr=1.0, weight_decay=WD)),
        dict(layer_decay_rate=RATE))(model)
    table = next(m for m, kw in messages if kw.get('level') == 20)
    assert 'vit, 3 blocks' in table
    rows = {line.split()[0]: line.split() for line in table.splitlines()[2:]}
    assert rows['layer_0_no_decay'][1:3] == ['0', '0.0625']
    assert rows['layer_1_decay'][1:5] == ['1', '0.125', '0.125', '0.05']
    assert rows['layer_4_no_decay'][1:3] == ['4', '1']


def test_errors():
    class FancyNet(nn.Module):

        def __init__(self):
            super().__init__()
            self.backbone = nn.Conv2d(3, 4, 3)

    cfg = dict(optimizer=dict(type='AdamW', lr=LR, weight_decay=WD))
    ctor = LayerDecayOptimWrapperConstructor(cfg, dict(layer_decay_rate=0.9))
    with pytest.raises(TypeError, match='Conv2d'):
        ctor(FancyNet())
    with pytest.raises(TypeError, match='Linear'):
        ctor(nn.Linear(2, 2))  # no backbone, not a backbone itself
    with pytest.raises(ValueError, match='3 blocks'):  # mmseg-style key
        LayerDecayOptimWrapperConstructor(
            cfg, dict(layer_decay_rate=0.9, num_layers=12))(build('bare',
                                                                  'vit')[0])
    with pytest.raises(ValueError, match='layer_wise'):
        LayerDecayOptimWrapperConstructor(
            cfg, dict(layer_decay_rate=0.9, decay_type='stage_wise'))
    with pytest.raises(ValueError, match='layer_decay_rate'):
        LayerDecayOptimWrapperConstructor(cfg, dict())
    with pytest.raises(ValueError, match='layer_decay_rate'):
        LayerDecayOptimWrapperConstructor(cfg, dict(layer_decay_rate=1.5))

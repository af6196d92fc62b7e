# ImageNet-1k linear probing of a frozen Swin-B encoder (224 px, window 7):
# globally pooled last stage, then a linear map with affine-free BatchNorm and
# a linear head (no non-linearity: the probe stays linear), trained with LARS
# for 90 epochs (the MAE linear-probing recipe). The encoder comes through one
# key: --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = [
    'mmpretrain::mae/benchmarks/vit-base-p16_8xb2048-linear-coslr-90e_in1k.py',
    '../../_base_/sgmim_imports.py',
]
# Per-sample augmentation seeds (seed, epoch, index): resume reproduces an
# uninterrupted run whatever the dataloader workers do.
train_dataloader = dict(sampler=dict(type='PerSampleSeedSampler'))
model = dict(
    backbone=dict(
        _delete_=True,
        type='TransferSwinTransformer',
        arch='base',
        img_size=224,
        stage_cfgs=dict(block_cfgs=dict(window_size=7)),
        frozen_stages=3,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=None, prefix='backbone.',
            strict=True)),
    neck=dict(
        _delete_=True,
        type='LinearNeck',
        in_channels=1024,
        out_channels=1024,
        gap_dim=2,
        norm_cfg=dict(type='BN1d', affine=False)),
    head=dict(
        _delete_=True,
        type='LinearClsHead',
        num_classes=1000,
        in_channels=1024,
        loss=dict(type='CrossEntropyLoss'),
        init_cfg=[dict(type='TruncNormal', layer='Linear', std=0.01)]))

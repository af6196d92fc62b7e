# ImageNet-1k linear probing of a frozen ViT-B/16 encoder: mmpretrain's MAE
# recipe (cls token, BatchNorm neck, LARS, 90 epochs). The encoder comes through
# one key: --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = [
    'mmpretrain::mae/benchmarks/vit-base-p16_8xb2048-linear-coslr-90e_in1k.py',
    '../../_base_/sgmim_imports.py',
]
# Per-sample augmentation seeds (seed, epoch, index): resume reproduces an
# uninterrupted run whatever the dataloader workers do.
train_dataloader = dict(sampler=dict(type='PerSampleSeedSampler'))
model = dict(backbone=dict(init_cfg=dict(checkpoint=None, strict=True)))

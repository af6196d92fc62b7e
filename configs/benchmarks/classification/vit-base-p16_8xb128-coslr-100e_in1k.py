# ImageNet-1k fine-tuning of a pre-trained ViT-B/16 encoder: mmpretrain's MAE
# recipe (100 epochs, AdamW, layer decay 0.65, drop path 0.1, RandAugment,
# mixup/cutmix). The encoder comes through one key:
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = [
    'mmpretrain::mae/benchmarks/vit-base-p16_8xb128-coslr-100e_in1k.py',
    '../../_base_/sgmim_imports.py',
]
# Per-sample augmentation seeds (seed, epoch, index): resume reproduces an
# uninterrupted run whatever the dataloader workers do.
train_dataloader = dict(sampler=dict(type='PerSampleSeedSampler'))
model = dict(backbone=dict(init_cfg=dict(checkpoint=None, strict=True)))
# The cosine floor of each layer-decay group is min_lr x its lr_scale, as in
# MAE's fine-tuning code (util/lr_sched.py scales the whole curve by
# lr_scale); mmpretrain's recipe gives every group the absolute eta_min=1e-6.
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=5,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=95, eta_min_ratio=1e-6 / 2e-3,
         by_epoch=True, begin=5, end=100, convert_to_iter_based=True)
]

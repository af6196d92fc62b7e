# ImageNet-1k fine-tuning of a pre-trained Swin-B encoder at 224 px (window 7):
# mmpretrain's SimMIM recipe (100 epochs, AdamW, layer decay 0.9, drop path
# 0.1). TransferSwinTransformer loads the window-6 pre-training checkpoint
# without missing keys. The encoder comes through one key:
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = [
    'mmpretrain::simmim/benchmarks/swin-base-w7_8xb256-coslr-100e_in1k.py',
    '../../_base_/sgmim_imports.py',
]
model = dict(
    backbone=dict(type='TransferSwinTransformer',
                  init_cfg=dict(checkpoint=None, strict=True)))
# mmengine tags dicts inherited through 'mmpretrain::' with _scope_ and then
# passes that key on to the collate function: declare it here, untagged.
collate_fn = dict(_delete_=True, type='default_collate')
# Per-sample augmentation seeds (seed, epoch, index): resume reproduces an
# uninterrupted run whatever the dataloader workers do.
train_dataloader = dict(
    collate_fn=collate_fn, sampler=dict(type='PerSampleSeedSampler'))
val_dataloader = dict(collate_fn=collate_fn)
test_dataloader = dict(collate_fn=collate_fn)
# The cosine floor of each layer-decay group is min_lr x its lr_scale, as in
# SimMIM's fine-tuning code (lr x lr_scale for the whole curve); mmpretrain's
# recipe gives every group the absolute eta_min=1e-6.
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / 5e-3, by_epoch=True, begin=0,
         end=20, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=80, eta_min_ratio=1e-6 / 5e-3,
         by_epoch=True, begin=20, end=100, convert_to_iter_based=True)
]

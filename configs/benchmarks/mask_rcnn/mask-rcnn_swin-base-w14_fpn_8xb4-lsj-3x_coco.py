# Mask R-CNN, Swin-B + FPN on COCO: the dark-secrets MIM protocol (3x = 36
# epochs, AdamW lr 8e-5, wd 0.05, batch 32 = 8 x 4, large-scale jitter at 1024
# with scale 0.1-2.0, window 14, drop path 0.1).
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = 'mask-rcnn_swin-base-w7_fpn_8xb2-1x_coco.py'
image_size = (1024, 1024)
# As mmdet's own LSJ recipes (configs/common/lsj-*_coco-instance.py): every
# training batch is padded to the fixed 1024 x 1024 crop size (images, masks).
model = dict(
    backbone=dict(window_size=14, drop_path_rate=0.1),
    data_preprocessor=dict(
        pad_size_divisor=32,
        batch_augments=[
            dict(type='BatchFixedSizePad', size=image_size, pad_mask=True)
        ]))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomResize', scale=image_size, ratio_range=(0.1, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_type='absolute_range', crop_size=image_size,
         recompute_bbox=True, allow_negative_crop=True),
    dict(type='FilterAnnotations', min_gt_bbox_wh=(1e-2, 1e-2)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(batch_size=4, dataset=dict(pipeline=train_pipeline))

max_epochs = 36
train_cfg = dict(max_epochs=max_epochs)
optim_wrapper = dict(type='AmpOptimWrapper', optimizer=dict(lr=8e-5))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=1000),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[27, 33], gamma=0.1)
]
auto_scale_lr = dict(base_batch_size=32)

# CPU-sized ImageNet fine-tuning on SynthScenes (ImageNet layout, 4 scene
# classes): the real Swin-B fine-tuning config with the data root, image size
# and width changed (fp32: AMP needs a GPU).
_base_ = '../benchmarks/classification/swin-base-w7_8xb256-coslr-100e_in1k.py'
data_root = 'data/synthscenes/imagenet/'
img_size = 96

model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=32,
            depths=[1, 1, 2, 1],
            num_heads=[1, 2, 4, 8]),
        img_size=img_size,
        stage_cfgs=dict(block_cfgs=dict(window_size=3))),
    head=dict(in_channels=256))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=img_size, edge='short', backend='pillow',
         interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    # floor min_lr x lr_scale per layer-decay group, as the parent config
    dict(type='CosineAnnealingLR', T_max=4, eta_min_ratio=1e-5 / 1e-3,
         by_epoch=True, begin=1, end=5, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=5, val_interval=5)
default_hooks = dict(logger=dict(interval=8))
auto_scale_lr = dict(base_batch_size=16)

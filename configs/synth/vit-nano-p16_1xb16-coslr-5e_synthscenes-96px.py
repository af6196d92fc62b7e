# CPU-sized ImageNet fine-tuning on SynthScenes (ImageNet layout, 4 scene
# classes) of a synth MAE / LUT ViT-nano encoder: the real LUT (Table D)
# fine-tuning config, which the LUT paper uses for LUT and its MAE baseline
# alike, with the data root, image size, class count, width and schedule
# length changed (fp32: AMP needs a GPU). The encoder is the one of
# mae_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py,
# lut_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py and
# lut-simmim_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py (64-d, 2 blocks,
# 2 heads, 96 px), loaded strictly through one key:
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
# Everything else is the recipe's: layer decay 0.65, drop path 0.1, mixup
# 0.8 / cutmix 1.0, RandAugment, random erasing 0.25, label smoothing 0.1,
# mean-pooled tokens through a new norm, warm-up from 1e-4 x lr, cosine to
# 1e-6 (x each group's lr_scale).
# Deviations: 5 epochs (1 warm-up) of batch 16 at lr 1e-3 instead of 100
# (5) at 1024 (the synth Swin fine-tuning's budget); the test resize keeps
# the recipe's 256 / 224 ratio (110 / 96).
_base_ = '../benchmarks/classification/vit-base-p16_8xb128-lut-coslr-100e_in1k.py'
data_root = 'data/synthscenes/imagenet/'
img_size = 96
width = 64
num_classes = 4  # sgmim.datasets.synthscenes STYLE_NAMES

data_preprocessor = dict(num_classes=num_classes)
model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=width,
            num_layers=2,
            num_heads=2,
            feedforward_channels=4 * width),
        img_size=img_size),
    head=dict(num_classes=num_classes, in_channels=width))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandAugment', policies='timm_increasing', num_policies=2,
         total_level=10, magnitude_level=9, magnitude_std=0.5,
         hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic')),
    dict(type='RandomErasing', erase_prob=0.25, mode='rand',
         min_area_ratio=0.02, max_area_ratio=1 / 3,
         fill_color=[103.53, 116.28, 123.675],
         fill_std=[57.375, 57.12, 58.395]),
    dict(type='PackInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=img_size * 256 // 224, edge='short',
         backend='pillow', interpolation='bicubic'),
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
# top-5 of 4 classes is always 100
val_evaluator = dict(topk=(1, ))
test_evaluator = val_evaluator

lr = 1e-3
optim_wrapper = dict(optimizer=dict(lr=lr))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=4, eta_min_ratio=1e-6 / lr,
         by_epoch=True, begin=1, end=5, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=5, val_interval=5)
default_hooks = dict(logger=dict(interval=8))
auto_scale_lr = dict(base_batch_size=16)

# CPU-sized SimMIM on SynthScenes: the real ViT-B/16 config with the data root,
# image size and width changed (fp32: AMP needs a GPU). Same backbone, batch
# and schedule as the synth SG-MIM ViT config, which it is the baseline of.
_base_ = '../simmim/simmim_vit-base-p16_8xb128-amp-step-800e_in1k-224px.py'
img_size = 96
width = 64
data_root = 'data/synthscenes/imagenet/'

model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=width,
            num_layers=2,
            num_heads=2,
            feedforward_channels=4 * width),
        img_size=img_size),
    neck=dict(in_channels=width))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size,
         crop_ratio_range=(0.67, 1.0)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='SimMIMMaskGenerator', input_size=img_size, mask_patch_size=32,
         model_patch_size=16, mask_ratio=0.6),
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))

# A small model on a short schedule: a larger lr than the linear-scaling rule
# (2e-4 x 16 / 512) gives.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=18, eta_min=1e-5, by_epoch=True,
         begin=2, end=20, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=20)
default_hooks = dict(
    logger=dict(interval=8),
    checkpoint=dict(interval=1, max_keep_ckpts=2))
auto_scale_lr = dict(base_batch_size=16)
randomness = dict(seed=0)

# CPU-sized MAE on SynthScenes: the real ViT-B/16 config with the data root,
# image size, width and decoder changed (fp32: AMP needs a GPU). Same
# encoder, batch and schedule as the synth SimMIM / SG-MIM ViT configs; the
# baseline of the synth LUT config.
_base_ = '../mae/mae_vit-base-p16_8xb512-amp-coslr-400e_in1k.py'
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
    # a one-block 32-d decoder (MAE's: 8 blocks, 512-d)
    neck=dict(
        num_patches=(img_size // 16)**2,
        embed_dim=width,
        decoder_embed_dim=32,
        decoder_depth=1,
        decoder_num_heads=2))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.2, 1.0),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))

# A small model on a short schedule: a larger lr than the recipe's
# (1.5e-4 x sqrt(16) / 4), the synth SimMIM schedule.
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-3, betas=(0.9, 0.95), weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys={
            'ln': dict(decay_mult=0.0),
            'bias': dict(decay_mult=0.0),
            'pos_embed': dict(decay_mult=0.),
            'mask_token': dict(decay_mult=0.),
            'cls_token': dict(decay_mult=0.)
        }))
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
randomness = dict(seed=0, diff_rank_seed=False)

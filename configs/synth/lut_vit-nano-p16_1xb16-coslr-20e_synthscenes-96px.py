# CPU-sized LUT on SynthScenes: the real ViT-B/16 config with the data root,
# image size and widths changed (fp32: AMP needs a GPU; BN instead of SyncBN:
# SyncBN cannot run on CPU processes). The encoder is the synth SimMIM /
# SG-MIM ViT's (64-d, 2 blocks); the MAE baseline is
# mae_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py.
_base_ = '../lut/lut_vit-base-p16_8xb512-amp-coslr-1600e_in1k.py'
img_size = 96
width = 64
data_root = 'data/synthscenes/imagenet/'
mlp = dict(in_channels=width, hid_channels=128, out_channels=width,
           norm_cfg=dict(type='BN1d'))
model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=width,
            num_layers=2,
            num_heads=2,
            feedforward_channels=4 * width),
        img_size=img_size),
    neck=dict(
        num_patches=(img_size // 16)**2,
        embed_dim=width,
        decoder_embed_dim=32,
        decoder_depth=1,
        decoder_num_heads=2),
    projector=mlp,
    predictor=mlp)

view_1 = [
    dict(type='ResizeEdge', scale=img_size, edge='short', backend='pillow',
         interpolation='bicubic'),
    dict(type='PaddedRandomCrop', crop_size=img_size, padding=4,
         padding_mode='reflect'),
    dict(type='RandomFlip', prob=0.5),
]
view_2 = view_1 + [
    dict(type='RandomApply',
         transforms=[
             dict(type='SafeHueColorJitter', brightness=0.4, contrast=0.4,
                  saturation=0.2, hue=0.1)
         ],
         prob=0.8),
    dict(type='RandomChoice',
         transforms=[
             [dict(type='RandomGrayscale', prob=1.0, keep_channels=True,
                   channel_weights=(0.114, 0.587, 0.299))],
             [dict(type='Solarize', thr=128, prob=1.0)],
             [dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
                   magnitude_std='inf', prob=1.0)],
         ]),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=[1, 1], transforms=[view_1, view_2]),
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))

# A small model on a short schedule: the synth SimMIM schedule (lr 1e-3,
# 2 warm-up epochs, cosine to 1e-5 over 18), not the square-root rule.
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
randomness = dict(seed=0)

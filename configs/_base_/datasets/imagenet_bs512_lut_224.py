# ImageNet-1k for LUT pre-training at 224 px, 512 images per GPU: two views of
# each image (REFERENCE.md §2, the authors' TwoGlobalViewAugmentation).
# Each view runs its own crop pipeline, so crop offset and flip are drawn
# independently per view:
#   Resize 224 (shorter side, bicubic) -> RandomCrop 224, 4 px reflect
#   padding -> horizontal flip (p 0.5).
# View 2 only: ColorJitter(0.4, 0.4, 0.2, 0.1) with p 0.8, then exactly one
# of grayscale, solarize (threshold 128, PIL's default) or Gaussian blur
# (radius ~ U[0.1, 2]: magnitude U[0, 10] mapped onto (0.1, 2)).
# PaddedRandomCrop, not mmpretrain's RandomCrop: the latter ignores
# padding_mode for `padding` and pads with zeros. SafeHueColorJitter, not
# mmpretrain's ColorJitter: mmcv 2.1.0's hue step fails under NumPy 2 for a
# negative hue shift.
# Images are BGR here (LoadImageFromFile): the grayscale weights are
# torchvision's ITU-R 601-2 luma (0.299 R, 0.587 G, 0.114 B) in BGR order.
dataset_type = 'ImageNet'
data_root = 'data/imagenet/'
img_size = 224
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

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
    # inputs = [view 1, view 2]: what LUT reads
    dict(type='MultiView', num_views=[1, 1], transforms=[view_1, view_2]),
    dict(type='PackInputs')
]

train_dataloader = dict(
    batch_size=512,
    num_workers=8,
    persistent_workers=True,
    # mmengine's order; each sample's draws seeded from (seed, epoch, index)
    sampler=dict(type='PerSampleSeedSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))

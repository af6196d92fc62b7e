# Ablation: no colour augmentation -- view 2 gets the crop pipeline only
# (no colour jitter, no grayscale / solarize / blur), like view 1.
# Crops stay independent per view. 400 epochs.
_base_ = '../lut_vit-base-p16_8xb512-amp-coslr-400e_in1k.py'
view = [
    dict(type='ResizeEdge', scale=224, edge='short', backend='pillow',
         interpolation='bicubic'),
    dict(type='PaddedRandomCrop', crop_size=224, padding=4,
         padding_mode='reflect'),
    dict(type='RandomFlip', prob=0.5),
]
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=[1, 1], transforms=[view, view]),
    dict(type='PackInputs')
]))

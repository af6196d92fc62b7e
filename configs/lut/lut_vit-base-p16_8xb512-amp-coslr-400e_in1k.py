# LUT ViT-B/16 at 400 epochs (the ablation length): the 1600-epoch recipe
# with its cosine over 360 epochs after the 40 warm-up epochs.
_base_ = './lut_vit-base-p16_8xb512-amp-coslr-1600e_in1k.py'
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=40,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=360, eta_min=0., by_epoch=True,
         begin=40, end=400, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=400)

# LUT pre-training schedule (the authors' main_lut.py and docs/PRETRAIN.md):
# 1600 epochs, total batch 4096, AdamW betas (0.9, 0.95) -- the code's; the
# paper's text says (0.9, 0.999) -- weight decay 0.05, 40 warm-up epochs,
# then a half cosine to 0 (their min_lr default), per iteration.
# lr = blr * sqrt(total batch) / 4 with blr = 1.5e-4 (their square-root
# scaling; MAE's linear rule blr * batch / 256 gives the same 2.4e-3 only at
# batch 4096). The value is written out for 4096; `--auto-scale-lr` rescales
# it by sqrt(real batch / 4096) (auto_scale_lr.rule='sqrt', carried by
# LRScalingRunner to any tools/train.py), not mmengine's linear rule.
# No weight decay for 1-D parameters (LayerNorm, BatchNorm, biases), the
# position embedding and the tokens: mmpretrain's MAE list plus 'bn'. The
# authors' timm add_weight_decay spares only 1-D parameters (their cls and
# mask tokens decay).
total_batch_size = 8 * 512
base_lr = 1.5e-4
warmup_epochs = 40
max_epochs = 1600
optim_wrapper = dict(
    type='AmpOptimWrapper',  # dynamic loss scale (its default)
    optimizer=dict(
        type='AdamW',
        lr=base_lr * total_batch_size**0.5 / 4,
        betas=(0.9, 0.95),
        weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys={
            'ln': dict(decay_mult=0.0),
            'bn': dict(decay_mult=0.0),
            'bias': dict(decay_mult=0.0),
            'pos_embed': dict(decay_mult=0.),
            'mask_token': dict(decay_mult=0.),
            'cls_token': dict(decay_mult=0.)
        }))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=0.,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=total_batch_size, rule='sqrt')
runner_type = 'LRScalingRunner'

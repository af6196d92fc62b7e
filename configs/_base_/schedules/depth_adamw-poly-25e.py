# Depth fine-tuning (dark-secrets protocol, authors' code
# SwinTransformer/MIM-Depth-Estimation): AdamW (betas 0.9/0.999, weight decay
# 0.05: configs/train_options.py `--weight_decay default=5e-2`, which no
# README command overrides), layer decay 0.9, batch 24, 25 epochs of the
# training split. Learning rate (train.py L184-198): from 3e-5 up to 5e-4 as
# t^0.9 over the first 12 epochs (25 // 2), back down as 1 - s^0.9 over the
# next 12, 3e-5 in the last; the whole curve, floor included, is scaled by
# each layer-decay group's lr_scale (PolyOneCycleLR).
# Iteration-based, sized by the training split: the dataset base config sets
# `num_train_images` (NYUv2 BTS list 24231, labeled 795, KITTI Eigen 23158)
# and the config combining the two fills in the lengths left out here, e.g.
# configs/benchmarks/glpdepth/glpdepth_swin-base-w30_8xb3-25e_nyu-480x480.py:
#   max_iters = num_epochs * num_train_images // total_batch_size
#   half_cycle_iters = half_cycle_epochs * num_train_images // ...
#   param_scheduler[0]: rise_steps = fall_steps = half_cycle_iters,
#                       end = max_iters
#   train_cfg: max_iters, val_interval = max_iters // 5
num_epochs = 25
half_cycle_epochs = 12  # 25 // 2 up, as many down, the floor in the last
total_batch_size = 8 * 3
optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(
        type='AdamW', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.9))
param_scheduler = [
    dict(type='PolyOneCycleLR', eta_min_ratio=3e-5 / 5e-4, power=0.9,
         by_epoch=False, begin=0)
]
train_cfg = dict(type='IterBasedTrainLoop')
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(base_batch_size=total_batch_size)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5000),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))

# Depth fine-tuning (dark-secrets protocol): AdamW, layer decay 0.9, lr from
# 3e-5 up to 5e-4 and polynomially back down, 25 epochs of the training split
# (iteration-based: set num_train_images for another split size), batch 24.
num_train_images = 24231  # NYUv2 BTS training split; KITTI Eigen: 23158
total_batch_size = 8 * 3
max_iters = 25 * num_train_images // total_batch_size
optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(
        type='AdamW', lr=5e-4, betas=(0.9, 0.999), weight_decay=0.01),
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.9))
param_scheduler = [
    dict(type='LinearLR', start_factor=3e-5 / 5e-4, by_epoch=False, begin=0,
         end=max_iters // 2),
    dict(type='PolyLR', eta_min=3e-5, power=0.9, by_epoch=False,
         begin=max_iters // 2, end=max_iters)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters,
    val_interval=max_iters // 5)
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

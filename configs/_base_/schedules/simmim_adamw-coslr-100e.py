# SimMIM / SG-MIM 100-epoch schedule: AdamW, 10 warm-up epochs, cosine decay.
# Learning rates follow the authors' linear scaling: value x total batch / 512.
total_batch_size = 8 * 128
# One param group per setting (mmengine makes one per parameter), so that the
# fused AdamW updates all tensors of a group at once.
optim_wrapper = dict(
    type='AmpOptimWrapper',
    constructor='GroupedOptimWrapperConstructor',
    optimizer=dict(
        type='AdamW',
        lr=2e-4 * total_batch_size / 512,
        betas=(0.9, 0.999),
        weight_decay=0.05,
        fused=True),
    clip_grad=dict(max_norm=5.0),
    paramwise_cfg=dict(
        custom_keys={
            'norm': dict(decay_mult=0.0),
            'bias': dict(decay_mult=0.0),
            'absolute_pos_embed': dict(decay_mult=0.),
            'relative_position_bias_table': dict(decay_mult=0.),
            'mask_token': dict(decay_mult=0.),
        }))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-6 / 2e-4,
        by_epoch=True,
        begin=0,
        end=10,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=90,
        eta_min=1e-5 * total_batch_size / 512,
        by_epoch=True,
        begin=10,
        end=100,
        convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100)
auto_scale_lr = dict(base_batch_size=total_batch_size)

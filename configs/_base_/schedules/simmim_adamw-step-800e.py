# SimMIM / SG-MIM 800-epoch schedule (authors' recipe): AdamW, base lr 1e-4
# scaled by total batch / 512, 10 warm-up epochs, lr x0.1 at epoch 700.
total_batch_size = 8 * 128
# One param group per setting (mmengine makes one per parameter), so that the
# fused AdamW updates all tensors of a group at once.
optim_wrapper = dict(
    type='AmpOptimWrapper',
    constructor='GroupedOptimWrapperConstructor',
    optimizer=dict(
        type='AdamW',
        lr=1e-4 * total_batch_size / 512,
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
        start_factor=5e-7 / 1e-4,
        by_epoch=True,
        begin=0,
        end=10,
        convert_to_iter_based=True),
    dict(
        type='MultiStepLR',
        milestones=[700],
        gamma=0.1,
        by_epoch=True,
        begin=10,
        end=800,
        convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=800)
auto_scale_lr = dict(base_batch_size=total_batch_size)

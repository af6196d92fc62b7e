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
    # No weight decay (SimMIM's set_weight_decay): every 1-D parameter (the
    # biases and norm weights of every encoder: Swin's `norm*`, ViT's
    # `ln1`/`ln2`/`pre_norm`), and by name the position parameters, tokens
    # and relative-position terms of Swin (`absolute_pos_embed`,
    # `relative_position_bias_table`), SwinV2 (`cpb_mlp`, `logit_scale`),
    # ViT (`pos_embed`, `cls_token`) and every MIM encoder (`mask_token`).
    # Matched against whole name components, not substrings.
    paramwise_cfg=dict(
        no_decay_flat=True,
        no_decay_names=('absolute_pos_embed', 'pos_embed', 'cls_token',
                        'mask_token', 'relative_position_bias_table',
                        'cpb_mlp', 'logit_scale')))
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

# SG-MIM Swin-B, 800 epochs (lr 1e-4 x 1024 / 512, x0.1 at epoch 700).
_base_ = [
    '../_base_/models/sgmim_swin-base-w6.py',
    '../_base_/datasets/imagenet_bs128_sgmim_192.py',
    '../_base_/schedules/simmim_adamw-step-800e.py',
    '../_base_/default_runtime.py',
]
# default_runtime's hook plus the per-epoch count of degenerate (all-zero,
# constant) pseudo-depth maps; the run stops when over 10 % are degenerate.
custom_hooks = [
    dict(type='RandomStateHook'),
    dict(type='DegenerateStructureMapHook', max_degenerate_fraction=0.1)
]
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=50, max_keep_ckpts=3))

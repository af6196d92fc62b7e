# SG-MIM Swin-B, 100 epochs on ImageNet-1k + pseudo-depth at 192 px
# (authors' recipe: 8 GPUs x 128 images, lr 2e-4 x 1024 / 512).
_base_ = [
    '../_base_/models/sgmim_swin-base-w6.py',
    '../_base_/datasets/imagenet_bs128_sgmim_192.py',
    '../_base_/schedules/simmim_adamw-coslr-100e.py',
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
    checkpoint=dict(interval=10, max_keep_ckpts=3))

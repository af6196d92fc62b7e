# SimMIM Swin-B, 800 epochs at 192 px (lr 1e-4 x 1024 / 512, x0.1 at 700).
_base_ = [
    '../_base_/models/simmim_swin-base-w6.py',
    '../_base_/datasets/imagenet_bs128_simmim_192.py',
    '../_base_/schedules/simmim_adamw-step-800e.py',
    '../_base_/default_runtime.py',
]
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=50, max_keep_ckpts=3))

# LUT ViT-B/16, 1600 epochs, 8 GPUs x 512 (REFERENCE.md §2): lambda 0.25,
# lr 1.5e-4 * sqrt(4096) / 4 = 2.4e-3.
# Deviations from the paper: AdamW betas (0.9, 0.95) as the authors' code
# (the paper's text: 0.999); the teacher momentum is indexed by the update,
# not by the preceding optimiser step (one iteration's shift).
_base_ = [
    '../_base_/models/lut_vit-base-p16.py',
    '../_base_/datasets/imagenet_bs512_lut_224.py',
    '../_base_/schedules/lut_adamw-coslr-1600e.py',
    '../_base_/default_runtime.py',
]
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=50, max_keep_ckpts=3))
randomness = dict(seed=0, diff_rank_seed=True)

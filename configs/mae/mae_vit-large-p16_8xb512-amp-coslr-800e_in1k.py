# MAE ViT-L/16 (1024-d, 24 layers, 16 heads), 800 epochs, 8 GPUs x 512
# images, AMP: mmpretrain's recipe as it is, the ViT-B one with the encoder
# widened (AdamW lr 1.5e-4 x 4096 / 256 = 2.4e-3, betas (0.9, 0.95), wd
# 0.05, 40 warm-up epochs, cosine to 0, mask ratio 0.75, normalised-pixel
# loss; decoder 512-d, 8 blocks, 16 heads, MAE's for every encoder size).
_base_ = [
    'mmpretrain::mae/mae_vit-large-p16_8xb512-amp-coslr-800e_in1k.py',
    '../_base_/sgmim_imports.py',
]
# Its warm-up starts at 1e-9 x lr (mmpretrain's ViT-L 400e / 1600e: 1e-4 x lr,
# as its ViT-B files; MAE's code: 0); kept.
# Learning-rate scaling: LUT's code sets lr = blr x sqrt(batch) / 4, MAE's
# blr x batch / 256; they agree at the 4096 images here. For another total
# batch, --auto-scale-lr follows LUT's square-root rule, as the ViT-S / ViT-B
# baselines do (one rule for every MAE baseline here). MAE's linear rule
# instead:
#   --cfg-options auto_scale_lr.rule=linear
# runner_type carries the rule to any tools/train.py (mmengine's plain
# Runner ignores it and scales linearly).
auto_scale_lr = dict(base_batch_size=4096, rule='sqrt')
runner_type = 'LRScalingRunner'
# mmengine's order; each sample's draws seeded from (seed, epoch, index).
# collate_fn is restated: mmengine tags the inherited dict with _scope_,
# which the Runner passes on to default_collate as an argument (TypeError).
train_dataloader = dict(
    sampler=dict(type='PerSampleSeedSampler'),
    collate_fn=dict(_delete_=True, type='default_collate'))
# mmpretrain's MAE configs resume on every start; here --resume does.
resume = False

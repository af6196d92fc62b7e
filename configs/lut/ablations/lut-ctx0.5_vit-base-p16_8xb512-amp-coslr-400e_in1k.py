# Ablation: context-loss weight lambda = 0.5 (default 0.25), 400 epochs.
_base_ = '../lut_vit-base-p16_8xb512-amp-coslr-400e_in1k.py'
model = dict(context_loss_weight=0.5)

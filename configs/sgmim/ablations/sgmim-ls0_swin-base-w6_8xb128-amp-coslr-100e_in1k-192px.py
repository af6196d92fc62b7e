# Ablation: loss weights lambda_I = 1, lambda_S = 0.
_base_ = '../sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-192px.py'
model = dict(structure_loss_weight=0)

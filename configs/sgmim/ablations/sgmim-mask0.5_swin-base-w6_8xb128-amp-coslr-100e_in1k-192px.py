# Ablation: image mask ratio 0.5 (the map sees the complement).
_base_ = '../sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-192px.py'
train_pipeline = {{_base_.train_pipeline}}
train_pipeline[6]['mask_ratio'] = 0.5
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# Ablation: image and map masked independently (ratio 0.6 each) instead of
# complementary masks.
_base_ = '../sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-192px.py'
train_pipeline = {{_base_.train_pipeline}}
train_pipeline[6]['mode'] = 'random'
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

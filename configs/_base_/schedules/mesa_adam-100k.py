# SC-Depth's schedule (configs/v2/nyu.txt, v3/nyu.txt): Adam, lr 1e-4 for
# every network, constant, 100 epochs of 1000 iterations at batch 8 (one
# GPU) = 100k iterations. Here 8 GPUs x 1 snippet of 480 x 480 (SwinV2-L
# memory), the same total batch of 8: the batch split is our choice.
optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.999)))
param_scheduler = []
train_cfg = dict(type='IterBasedTrainLoop', max_iters=100000)
auto_scale_lr = dict(base_batch_size=8)

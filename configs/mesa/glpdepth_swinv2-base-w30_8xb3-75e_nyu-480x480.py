# MeSa's NYUv2 fine-tuning of a stage's encoder: the transfer suite's
# GLPDepth SwinV2-B protocol (the dark-secrets code MeSa builds on) for 75
# epochs instead of 25, the same poly curve stretched (up for 75 // 2
# epochs, as many down, the floor in the last).
#   --cfg-options model.backbone.init_cfg.checkpoint=STAGE3.pth
_base_ = '../benchmarks/glpdepth/glpdepth_swinv2-base-w30_8xb3-25e_nyu-480x480.py'
num_epochs = 75
half_cycle_epochs = 37
max_iters = num_epochs * _base_.num_train_images // _base_.total_batch_size
half_cycle_iters = (half_cycle_epochs * _base_.num_train_images //
                    _base_.total_batch_size)
param_scheduler = [
    dict(_base_.param_scheduler[0], rise_steps=half_cycle_iters,
         fall_steps=half_cycle_iters, end=max_iters)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 5)

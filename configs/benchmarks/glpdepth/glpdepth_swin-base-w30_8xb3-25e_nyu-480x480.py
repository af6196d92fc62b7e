# GLPDepth-style head on a Swin-B encoder, NYUv2 (dark-secrets protocol:
# 480x480 crops, max depth 10 m, 2 sliding windows + flip at test time).
# Split: the 24231-frame BTS list (data/nyu_sync, prepare_nyu_sync.py); the
# schedule below follows the dataset base's num_train_images. The 795-image
# labeled split: glpdepth_swin-base-w30_8xb3-25e_nyu-labeled795-480x480.py.
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = [
    '../../_base_/models/glpdepth_swin-base.py',
    '../../_base_/datasets/nyu_depth_480x480.py',
    '../../_base_/schedules/depth_adamw-poly-25e.py',
    '../../_base_/default_runtime_seg.py',
]
# The schedule sized by the dataset base's training split (25 epochs of
# num_train_images at batch 24; the schedule base explains the lengths).
max_iters = (_base_.num_epochs * _base_.num_train_images //
             _base_.total_batch_size)
half_cycle_iters = (_base_.half_cycle_epochs * _base_.num_train_images //
                    _base_.total_batch_size)
param_scheduler = [
    dict(_base_.param_scheduler[0], rise_steps=half_cycle_iters,
         fall_steps=half_cycle_iters, end=max_iters)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 5)
# Windows matched to the stage grids of a 480 px crop (120/60/30/15 tokens):
# 30/30/30/15, no shift in the last two stages, each one window: the authors'
# SwinV2 NYU command (MIM-Depth-Estimation README: --window_size 30 30 30 15
# --use_shift True True False False). Swin v1 follows the same rule (the
# authors' depth code has no Swin v1); its pre-trained relative-position
# tables are resized on loading (TransferSwinTransformer).
model = dict(
    data_preprocessor=dict(size=(480, 480)),
    backbone=dict(
        window_size=30,
        stage_cfgs=[
            dict(),
            dict(),
            dict(block_cfgs=dict(shift=False)),
            dict(block_cfgs=dict(window_size=15, shift=False)),
        ]))
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=5000, save_best='rmse',
                    rule='less', max_keep_ckpts=2))

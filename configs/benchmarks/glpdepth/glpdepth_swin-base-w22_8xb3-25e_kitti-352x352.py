# GLPDepth-style head on a Swin-B encoder, KITTI Eigen split (dark-secrets
# protocol: KB crop, 352x352 crops, max depth 80 m, 16 sliding windows + flip,
# Garg crop at evaluation).
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = [
    '../../_base_/models/glpdepth_swin-base.py',
    '../../_base_/datasets/kitti_depth_352x352.py',
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
model = dict(
    data_preprocessor=dict(size=(352, 352)),
    # Windows matched to the stage grids of a 352 px crop (88/44/22/11):
    # 22/22/22/11, no shift in the last two stages (the authors' SwinV2 KITTI
    # command: --window_size 22 22 22 11 --use_shift True True False False).
    backbone=dict(
        window_size=22,
        stage_cfgs=[
            dict(),
            dict(),
            dict(block_cfgs=dict(shift=False)),
            dict(block_cfgs=dict(window_size=11, shift=False)),
        ]),
    decode_head=dict(max_depth=80.0),
    test_cfg=dict(num_windows=16))
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=5000, save_best='rmse',
                    rule='less', max_keep_ckpts=2))

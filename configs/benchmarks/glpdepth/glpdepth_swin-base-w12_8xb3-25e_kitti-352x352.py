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
num_train_images = 23158
max_iters = 25 * num_train_images // (8 * 3)
model = dict(
    data_preprocessor=dict(size=(352, 352)),
    backbone=dict(window_size=11),
    decode_head=dict(max_depth=80.0),
    test_cfg=dict(num_windows=16))
param_scheduler = [
    dict(type='LinearLR', start_factor=3e-5 / 5e-4, by_epoch=False, begin=0,
         end=max_iters // 2),
    dict(type='PolyLR', eta_min=3e-5, power=0.9, by_epoch=False,
         begin=max_iters // 2, end=max_iters)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 5)
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=5000, save_best='rmse',
                    rule='less', max_keep_ckpts=2))

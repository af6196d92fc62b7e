# GLPDepth-style head on a Swin-B encoder, NYUv2 (dark-secrets protocol:
# 480x480 crops, max depth 10 m, 2 sliding windows + flip at test time).
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = [
    '../../_base_/models/glpdepth_swin-base.py',
    '../../_base_/datasets/nyu_depth_480x480.py',
    '../../_base_/schedules/depth_adamw-poly-25e.py',
    '../../_base_/default_runtime_seg.py',
]
model = dict(data_preprocessor=dict(size=(480, 480)))
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=5000, save_best='rmse',
                    rule='less', max_keep_ckpts=2))

# MeSa stage 2, geometric pre-training (SC-DepthV2's losses) of the masked
# stage's SwinV2-B on NYUv2 raw video, 480 x 480 crops of 3-frame clips.
# Start from the masked stage (SimMIM SwinV2-B,
# configs/simmim/simmim_swinv2-base-w12_8xb128-amp-step-800e_in1k-192px.py):
#   --cfg-options model.backbone.init_cfg.checkpoint=STAGE1.pth
# Losses (PhotometricGeometryLoss + RotationRectificationLoss): photometric
# 1, geometry consistency 0.1, edge-aware smoothness 0.1, rotation
# consistency 1, rotation triplet 1 (SC-Depth's weights). Encoder windows
# 30/30/30/15 and drop path 0.1: the transfer suite's SwinV2 depth settings
# (SC-Depth's encoder is a ResNet).
_base_ = [
    '../_base_/models/mesa_geometric_swinv2-base-w30.py',
    '../_base_/datasets/nyu_raw_snippets_480x480.py',
    '../_base_/schedules/mesa_adam-100k.py',
    '../_base_/default_runtime.py',
]
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=False, interval=10000, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)

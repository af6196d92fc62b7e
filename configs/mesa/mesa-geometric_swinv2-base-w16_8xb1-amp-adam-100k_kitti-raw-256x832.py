# MeSa stage 2, geometric pre-training (SC-DepthV2's losses) of the masked
# stage's SwinV2-B on KITTI raw video, at SC-Depth's KITTI training size.
# MeSa itself pre-trains on NYUv2 only: this is the NYUv2 stage with
# SC-Depth's KITTI data settings; losses, weights, optimizer and schedule
# are unchanged (SC-Depth's KITTI batch is 4, ours 8 x 1 as on NYUv2).
# Start from the masked stage (SimMIM SwinV2-B):
#   --cfg-options model.backbone.init_cfg.checkpoint=STAGE1.pth
# Data: SC-Depth's prepared KITTI raw (kitti/training/<scene>/*.jpg +
# cam.txt, training/train.txt), 3-frame clips with its KITTI training
# transforms: flip, scale-crop U[1, 1.15] per axis, rescale to 256 x 832
# (get_training_size('kitti')), all frames alike, the intrinsics updated.
# Encoder windows 16/16/16/8, shifted in every stage: our choice. The
# 64 x 208 stage-1 token map is 4 x 13 windows of 16; the later maps are
# padded to whole windows and no window covers a whole map, so no stage
# drops the shift (the NYUv2 stage's 30/30/30/15 windows cover the last two
# maps of a 480 x 480 crop). Fine-tune on KITTI with the transfer suite's
# configs/benchmarks/glpdepth/glpdepth_swinv2-base-w22_8xb3-25e_kitti-352x352.py.
_base_ = './mesa-geometric_swinv2-base-w30_8xb1-amp-adam-100k_nyu-raw-480x480.py'
model = dict(
    backbone=dict(
        img_size=(256, 832),
        window_size=[16, 16, 16, 8],
        stage_cfgs=[dict(), dict(), dict(), dict()]))

data_root = 'data/kitti_raw/'
train_pipeline = [
    dict(type='LoadSnippetFromFiles'),
    dict(type='SnippetRandomFlip', prob=0.5),
    dict(type='SnippetRandomScaleCrop', scale_range=(1.0, 1.15)),
    dict(type='SnippetResize', size=(256, 832)),
    dict(type='PackSnippetInputs'),
]
train_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=train_pipeline))

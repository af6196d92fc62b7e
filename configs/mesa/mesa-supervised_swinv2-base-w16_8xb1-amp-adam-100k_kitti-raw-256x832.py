# MeSa stage 3, supervised pre-training with pseudo-depth (SC-DepthV3's
# losses) on KITTI raw video, from the KITTI geometric stage's encoder:
#   --cfg-options model.backbone.init_cfg.checkpoint=STAGE2.pth
# The KITTI stage 2 with the NYUv2 stage 3's model changes, restated
# (mmengine merges no two bases that both hold a model; its comments give
# the losses and the pseudo-depth folders).
_base_ = './mesa-geometric_swinv2-base-w16_8xb1-amp-adam-100k_kitti-raw-256x832.py'
model = dict(
    type='MeSaSupervised',
    rectify_net=None,
    loss=dict(smooth_weight=0.),
    pseudo_loss=dict(type='PseudoDepthLoss', normal_weight=0.1,
                     ranking_weight=0.1, relative_normal_weight=0.1))
train_dataloader = dict(dataset=dict(pseudo_depth_dir='pseudo_depth'))

# MeSa stage 3, supervised pre-training with pseudo-depth (SC-DepthV3's
# losses), from the geometric stage's encoder:
#   --cfg-options model.backbone.init_cfg.checkpoint=STAGE2.pth
# Pseudo-depth of every frame in <scene>/pseudo_depth/ (the paper: LeReS;
# any off-the-shelf network, e.g. written by
# tools/dataset_converters/generate_pseudo_depth.py). Losses: photometric 1,
# geometry 0.1, normal matching 0.1, confident ranking 0.1, edge-aware
# relative normal 0.1; no smoothness and no rectification (SC-DepthV3).
# Only the encoder is handed on: the pose net starts again from ImageNet's
# ResNet-18. Maps in a parallel tree <data_root>/pseudo_depth/<scene>/ (what
# generate_pseudo_depth.py --img-dir <data_root>/training --out-dir
# <data_root>/pseudo_depth writes):
#   --cfg-options \
#   'train_dataloader.dataset.pseudo_depth_dir=pseudo_depth/{scene}'
_base_ = './mesa-geometric_swinv2-base-w30_8xb1-amp-adam-100k_nyu-raw-480x480.py'
model = dict(
    type='MeSaSupervised',
    rectify_net=None,
    loss=dict(smooth_weight=0.),
    pseudo_loss=dict(type='PseudoDepthLoss', normal_weight=0.1,
                     ranking_weight=0.1, relative_normal_weight=0.1))
train_dataloader = dict(dataset=dict(pseudo_depth_dir='pseudo_depth'))

# CPU-sized MeSa stage 3 (supervised, SC-DepthV3's pseudo-depth losses) on
# SynthScenes trajectories: the synth stage-2 config with the stage-3
# changes of the real config (MeSaSupervised, no rectification, no
# smoothness, the pseudo-depth maps the generator writes beside the
# frames, <scene>/pseudo_depth/).
#   --cfg-options model.backbone.init_cfg.checkpoint=STAGE2.pth
_base_ = './mesa-geometric_swinv2-nano-w3_1xb4-40it_synthscenes-traj-96x128.py'
model = dict(
    type='MeSaSupervised',
    rectify_net=None,
    loss=dict(smooth_weight=0.),
    pseudo_loss=dict(type='PseudoDepthLoss', normal_weight=0.1,
                     ranking_weight=0.1, relative_normal_weight=0.1))
train_dataloader = dict(dataset=dict(pseudo_depth_dir='pseudo_depth'))

# CPU-sized MeSa stage 2 (geometric, SC-DepthV2's losses) on SynthScenes
# trajectories (3-frame clips of 128x96 frames, cam.txt intrinsics): the
# real SwinV2-B config with the encoder narrowed to the synth SwinV2-nano
# (32-d, depths 1-1-2-1, windows of 3, as the synth SG-MIM SwinV2 stage 1),
# no crop (the frames are already multiples of 32), no ImageNet weights for
# the pose and rectify nets (nothing is downloaded), fp32 and 40 iterations.
#   --cfg-options model.backbone.init_cfg.checkpoint=STAGE1.pth
_base_ = '../mesa/mesa-geometric_swinv2-base-w30_8xb1-amp-adam-100k_nyu-raw-480x480.py'
data_root = 'data/synthscenes/trajectories'
max_iters = 40

model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=32,
            depths=[1, 1, 2, 1],
            num_heads=[1, 2, 4, 8],
            extra_norm_every_n_blocks=0),
        img_size=96,
        window_size=[3, 3, 3, 3],
        pretrained_window_sizes=[3, 3, 3, 3]),
    decoder=dict(in_channels=[32, 64, 128, 256]),
    pose_net=dict(pretrained=None),
    rectify_net=dict(pretrained=None))

train_pipeline = [
    dict(type='LoadSnippetFromFiles'),
    dict(type='SnippetRandomFlip', prob=0.5),
    dict(type='SnippetRandomScaleCrop', scale_range=(1.0, 1.15)),
    dict(type='PackSnippetInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))

optim_wrapper = dict(type='OptimWrapper')
train_cfg = dict(max_iters=max_iters)
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
auto_scale_lr = dict(base_batch_size=4)
randomness = dict(seed=0)

# SC-DepthV2 itself (JiawangBian/sc_depth_pl, configs/v2/nyu.txt) in the
# MeSa stage-2 model: ResNet-18 depth encoder (ImageNet weights) with its
# stem map, the Monodepth2 decoder skipping from every stride 2...16, pose
# and rectify nets, NYUv2 raw 3-frame clips flipped, scale-cropped and
# rescaled to 256 x 320, batch 8 on one GPU in fp32, Adam 1e-4 for 100k
# iterations; inputs normalised as SC-Depth, (x / 255 - 0.45) / 0.225.
# The reference against which MeSa's geometric stage swaps the encoder, and
# the target of SC-Depth's published weights:
#   python tools/model_converters/scdepth2mesa.py SCDEPTH.ckpt OUT.pth \
#       --config THIS_CONFIG
#   python tools/train.py THIS_CONFIG --cfg-options load_from=OUT.pth
_base_ = './mesa-geometric_swinv2-base-w30_8xb1-amp-adam-100k_nyu-raw-480x480.py'
model = dict(
    data_preprocessor=dict(
        mean=[114.75, 114.75, 114.75], std=[57.375, 57.375, 57.375]),
    backbone=dict(
        _delete_=True,
        type='MonodepthResNet',
        depth=18,
        zero_init_residual=False,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    decoder=dict(in_channels=[64, 64, 128, 256, 512],
                 in_strides=[2, 4, 8, 16, 32]))

train_pipeline = [
    dict(type='LoadSnippetFromFiles'),
    dict(type='SnippetRandomFlip', prob=0.5),
    dict(type='SnippetRandomScaleCrop', scale_range=(1.0, 1.15)),
    dict(type='SnippetResize', size=(256, 320)),
    dict(type='PackSnippetInputs'),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(type='OptimWrapper')

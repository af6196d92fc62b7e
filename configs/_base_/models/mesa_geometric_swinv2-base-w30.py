# MeSa geometric stage (SC-DepthV2, REFERENCE.md §4) on a SwinV2-B encoder at
# 480 x 480 (MeSa's crops): the encoder of the masked stage (SimMIM SwinV2,
# windows 12/12/12/6 in pre-training) with the windows of the transfer
# suite's SwinV2 depth configs for this crop (30/30/30/15, the CPB normalised
# by the pre-training windows), a Monodepth2-style disparity decoder on its
# four stages, SC-Depth's ResNet-18 pose net and SC-DepthV2's rectifier
# (ImageNet ResNet-18 weights, conv1 duplicated and halved for the stacked
# pair, as SC-Depth).
# The previous stage's encoder: --cfg-options model.backbone.init_cfg.checkpoint=PATH
# Images are normalised with the ImageNet statistics of the masked stage
# and of the fine-tuning (SC-Depth: (x / 255 - 0.45) / 0.225): our choice,
# so that the encoder sees the inputs it was pre-trained and is fine-tuned
# on.
model = dict(
    type='MeSaGeometric',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='TransferSwinTransformerV2',
        arch='base',
        img_size=480,
        window_size=[30, 30, 30, 15],
        pretrained_window_sizes=[12, 12, 12, 6],
        stage_cfgs=[
            dict(),
            dict(),
            dict(block_cfgs=dict(shift=False)),
            dict(block_cfgs=dict(shift=False)),
        ],
        drop_path_rate=0.1,
        out_indices=(0, 1, 2, 3),
        pad_small_map=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=None, prefix='backbone.',
            strict=True)),
    decoder=dict(type='MonodepthDecoder', in_channels=[128, 256, 512, 1024]),
    pose_net=dict(type='PoseNet', pretrained='torchvision://resnet18'),
    rectify_net=dict(type='RectifyNet', pretrained='torchvision://resnet18'),
    loss=dict(type='PhotometricGeometryLoss', photo_weight=1.0,
              geometry_weight=0.1, smooth_weight=0.1),
    rectify_loss=dict(type='RotationRectificationLoss', consistency_weight=1.0,
                      triplet_weight=1.0))

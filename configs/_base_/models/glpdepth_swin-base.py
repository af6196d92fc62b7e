# GLPDepth-style depth estimation on the last stage of a Swin-B encoder
# (dark-secrets protocol): TransferSwinTransformer loads SimMIM/SG-MIM
# checkpoints across window sizes; flip TTA and square sliding windows.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=0)
model = dict(
    type='SlidingDepthEstimator',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='mmpretrain.TransferSwinTransformer',
        arch='base',
        img_size=224,
        window_size=12,
        drop_path_rate=0.3,
        out_indices=(3, ),
        pad_small_map=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=None, prefix='backbone.',
            strict=True)),
    decode_head=dict(
        type='GLPDepthHead',
        in_channels=1024,
        channels=32,
        in_stride=32,
        max_depth=10.0,
        loss_decode=dict(type='SiLogLoss')),
    train_cfg=dict(),
    test_cfg=dict(mode='slide', num_windows=2, flip=True))

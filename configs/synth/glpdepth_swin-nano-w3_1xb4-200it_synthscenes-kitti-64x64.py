# CPU-sized GLPDepth on SynthScenes (KITTI layout: 256x78 frames, sparse depth):
# the real Swin-B KITTI config with the data root, sizes and width changed
# (KB crop 64x240 instead of 352x1216, 4 sliding windows instead of 16).
_base_ = ('../benchmarks/glpdepth/'
          'glpdepth_swin-base-w22_8xb3-25e_kitti-352x352.py')
data_root = 'data/synthscenes/kitti'
crop_size = (64, 64)
max_iters = 200

model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=32,
            depths=[1, 1, 2, 1],
            num_heads=[1, 2, 4, 8]),
        # the pre-training window; the real configs' rule: no shift where a
        # stage is one window (stage grids 16/8/4/2)
        window_size=2,
        stage_cfgs=[
            dict(),
            dict(),
            dict(),
            dict(block_cfgs=dict(shift=False)),
        ],
        drop_path_rate=0.1),
    decode_head=dict(in_channels=256),
    test_cfg=dict(num_windows=4))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1 / 256),
    dict(type='KBCrop', height=64, width=240),
    dict(type='VerticalCutDepth', prob=0.25, max_depth=80.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    # the authors' photometric jitter after flip and crop
    # (SwinTransformer/MIM-Depth-Estimation, dataset/base_dataset.py L29-35:
    # albumentations' defaults, p 0.5 each; sgmim's uint8 re-implementation)
    dict(type='RandomBrightnessContrast', brightness_limit=0.2,
         contrast_limit=0.2, prob=0.5),
    dict(type='RandomGamma', gamma_limit=(80, 120), prob=0.5),
    dict(type='HueSaturationValue', hue_shift_limit=20, sat_shift_limit=30,
         val_shift_limit=20, prob=0.5),
    dict(type='PackSegInputs', meta_keys={{_base_.meta_keys}})
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1 / 256),
    dict(type='KBCrop', height=64, width=240),
    dict(type='PackSegInputs', meta_keys={{_base_.meta_keys}})
]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(lr=2e-3))
# The protocol's curve (lr x 3e-5 / 5e-4 -> lr -> back, per layer-decay
# group) over the same fractions of the run as 12 + 12 of 25 epochs.
param_scheduler = [
    dict(type='PolyOneCycleLR', eta_min_ratio=3e-5 / 5e-4, power=0.9,
         rise_steps=max_iters * 12 // 25, fall_steps=max_iters * 12 // 25,
         by_epoch=False, begin=0, end=max_iters)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_iters, save_best=None, max_keep_ckpts=1))
auto_scale_lr = dict(base_batch_size=4)
randomness = dict(seed=0)

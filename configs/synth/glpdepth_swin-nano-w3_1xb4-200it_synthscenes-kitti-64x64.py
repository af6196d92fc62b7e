# CPU-sized GLPDepth on SynthScenes (KITTI layout: 256x78 frames, sparse depth):
# the real Swin-B KITTI config with the data root, sizes and width changed
# (KB crop 64x240 instead of 352x1216, 4 sliding windows instead of 16).
_base_ = ('../benchmarks/glpdepth/'
          'glpdepth_swin-base-w12_8xb3-25e_kitti-352x352.py')
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
        window_size=2,
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
    dict(type='PhotoMetricDistortion'),
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
param_scheduler = [
    dict(type='LinearLR', start_factor=3e-5 / 5e-4, by_epoch=False, begin=0,
         end=max_iters // 4),
    dict(type='PolyLR', eta_min=3e-5, power=0.9, by_epoch=False,
         begin=max_iters // 4, end=max_iters)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_iters, save_best=None, max_keep_ckpts=1))
auto_scale_lr = dict(base_batch_size=4)
randomness = dict(seed=0)

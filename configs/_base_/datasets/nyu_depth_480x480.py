# NYUv2 depth, the dark-secrets protocol: random 480x480 crops, flip,
# photometric jitter and vertical CutDepth for training; whole images for
# testing, NYU evaluation crop, depth capped at 10 m.
# Split: the BTS / GLPDepth / MIM-Depth-Estimation one -- 24231 training
# frames of the raw scenes (BTS "sync" release and its list
# nyudepthv2_train_files_with_gt.txt), the official 654 test images -- in
# data/nyu_sync from tools/dataset_converters/prepare_nyu_sync.py. The
# 795-image labeled split (mmseg NYUDataset layout, prepare_nyu.py):
# benchmarks/glpdepth/glpdepth_swin-base-w30_8xb3-25e_nyu-labeled795-*.py.
dataset_type = 'NYUSyncDepthDataset'
data_root = 'data/nyu_sync'
# Training-list length: the depth configs size the 25-epoch schedule with it.
num_train_images = 24231
crop_size = (480, 480)
max_depth = 10.0
meta_keys = ('img_path', 'depth_map_path', 'ori_shape', 'img_shape',
             'pad_shape', 'scale_factor', 'flip', 'flip_direction',
             'category_id')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
    dict(type='VerticalCutDepth', prob=0.25, max_depth=max_depth),
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
    dict(type='PackSegInputs', meta_keys=meta_keys)
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1e-3),
    dict(type='PackSegInputs', meta_keys=meta_keys)
]
train_dataloader = dict(
    batch_size=3,
    num_workers=4,
    persistent_workers=True,
    # mmengine's order; each sample's draws seeded from (seed, epoch, index)
    sampler=dict(type='PerSampleSeedInfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='nyudepthv2_train_files_with_gt.txt',
        data_prefix=dict(img_path='sync', depth_map_path='sync'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        test_mode=True,
        ann_file='nyudepthv2_test_files_with_gt.txt',
        data_prefix=dict(
            img_path='official_splits/test',
            depth_map_path='official_splits/test'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='DepthEvalMetric',
    min_depth_eval=1e-3,
    max_depth_eval=max_depth,
    crop_type='nyu')
test_evaluator = val_evaluator

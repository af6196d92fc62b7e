# KITTI depth, Eigen split (data/kitti from
# tools/dataset_converters/prepare_kitti.py), the dark-secrets protocol: KB
# crop (352x1216), random 352x352 crops, flip, photometric jitter and vertical
# CutDepth for training; Garg crop and an 80 m cap for evaluation.
dataset_type = 'KITTIDepthDataset'
data_root = 'data/kitti'
# Training-list length (eigen_train_files_with_gt.txt): the depth configs
# size the 25-epoch schedule with it.
num_train_images = 23158
crop_size = (352, 352)
max_depth = 80.0
meta_keys = ('img_path', 'depth_map_path', 'ori_shape', 'img_shape',
             'pad_shape', 'scale_factor', 'flip', 'flip_direction',
             'focal_length', 'kb_crop_bbox')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1 / 256),
    dict(type='KBCrop', height=352, width=1216),
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
    dict(type='LoadDepthAnnotation', depth_rescale_factor=1 / 256),
    dict(type='KBCrop', height=352, width=1216),
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
        ann_file='eigen_train_files_with_gt.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='eigen_test_files_with_gt.txt',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='DepthEvalMetric',
    min_depth_eval=1e-3,
    max_depth_eval=max_depth,
    crop_type='garg')
test_evaluator = val_evaluator

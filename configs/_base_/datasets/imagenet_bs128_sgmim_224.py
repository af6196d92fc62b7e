# ImageNet-1k paired with pseudo-depth maps for SG-MIM pre-training at 224 px
# (ViT, 16 px patches), 128 images per GPU. The maps live in a folder parallel
# to the images (data/imagenet/pseudo_depth/train/<class>/<name>.png, 16-bit
# millimetres; tools/dataset_converters/generate_pseudo_depth.py writes it).
dataset_type = 'ImageNetWithStructureMap'
data_root = 'data/imagenet/'
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadStructureMap', scale=1e-3),
    # One crop and one flip for the image and its map.
    dict(type='JointRandomResizedCrop', scale=224,
         crop_ratio_range=(0.67, 1.0), aspect_ratio_range=(3. / 4., 4. / 3.)),
    dict(type='JointRandomFlip', prob=0.5),
    # Per-image standardisation with the 10-90 % band's statistics.
    dict(type='StructureMapStandardize', band=(0.1, 0.9)),
    dict(type='FormatStructureMap'),
    # Image mask M_I (SimMIM) and the complementary map mask M_S = 1 - M_I.
    dict(type='SelectiveGuidanceMaskGenerator', input_size=224,
         mask_patch_size=32, model_patch_size=16, mask_ratio=0.6,
         mode='complementary'),
    dict(type='PackInputs', algorithm_keys=['structure_map', 'structure_mask'],
         meta_keys=['img_path', 'structure_map_path',
                    'structure_map_degenerate'])
]

train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    # mmengine's order; each sample's draws seeded from (seed, epoch, index)
    sampler=dict(type='PerSampleSeedSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        structure_map_prefix='pseudo_depth/train',
        pipeline=train_pipeline))

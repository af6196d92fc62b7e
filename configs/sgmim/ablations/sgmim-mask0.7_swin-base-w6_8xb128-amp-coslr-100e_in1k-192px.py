# Ablation: image mask ratio 0.7 (the map sees the complement).
_base_ = '../sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-192px.py'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadStructureMap', scale=1e-3),
    dict(type='JointRandomResizedCrop', scale=192,
         crop_ratio_range=(0.67, 1.0), aspect_ratio_range=(3. / 4., 4. / 3.)),
    dict(type='JointRandomFlip', prob=0.5),
    dict(type='StructureMapStandardize', band=(0.1, 0.9)),
    dict(type='FormatStructureMap'),
    dict(type='SelectiveGuidanceMaskGenerator', input_size=192,
         mask_patch_size=32, model_patch_size=4, mask_ratio=0.7,
         mode='complementary'),
    dict(type='PackInputs', algorithm_keys=['structure_map', 'structure_mask'],
         meta_keys=['img_path', 'structure_map_path',
                    'structure_map_degenerate'])
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# CPU-sized SG-MIM on SynthScenes (images + pseudo-depth maps): the real Swin-B
# config with the data root, image size and width changed (fp32: AMP needs a
# GPU). Same backbone, batch and schedule as the synth SimMIM config.
_base_ = '../sgmim/sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-192px.py'
img_size = 96
width = 32 * 2**3
data_root = 'data/synthscenes/imagenet/'

model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=32,
            depths=[1, 1, 2, 1],
            num_heads=[1, 2, 4, 8]),
        img_size=img_size,
        stage_cfgs=dict(block_cfgs=dict(window_size=3))),
    neck=dict(in_channels=width),
    guidance_neck=dict(
        in_channels=width,
        input_size=img_size,
        extractor=dict(out_channels=width, embed_dims=64)),
    structure_neck=dict(in_channels=width))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadStructureMap', scale=1e-3),
    dict(type='JointRandomResizedCrop', scale=img_size,
         crop_ratio_range=(0.67, 1.0), aspect_ratio_range=(3. / 4., 4. / 3.)),
    dict(type='JointRandomFlip', prob=0.5),
    dict(type='StructureMapStandardize', band=(0.1, 0.9)),
    dict(type='FormatStructureMap'),
    dict(type='SelectiveGuidanceMaskGenerator', input_size=img_size,
         mask_patch_size=32, model_patch_size=4, mask_ratio=0.6,
         mode='complementary'),
    dict(type='PackInputs', algorithm_keys=['structure_map', 'structure_mask'],
         meta_keys=['img_path', 'structure_map_path',
                    'structure_map_degenerate'])
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))

# A small model on a short schedule: a larger lr than the linear-scaling rule
# (2e-4 x 16 / 512) gives.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=2,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=18, eta_min=1e-5, by_epoch=True,
         begin=2, end=20, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=20)
default_hooks = dict(
    logger=dict(interval=8),
    checkpoint=dict(interval=1, max_keep_ckpts=2))
auto_scale_lr = dict(base_batch_size=16)
randomness = dict(seed=0)

# UperNet with a Swin-B encoder on ADE20K, 160k iterations at 512 px.
# TransferSwinTransformer is mmpretrain's Swin that loads SimMIM/SG-MIM
# checkpoints across window sizes without reporting missing keys.
# The encoder takes a pre-training checkpoint through one key:
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = [
    'mmseg::_base_/models/upernet_swin.py',
    'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/schedules/schedule_160k.py',
    '../../_base_/default_runtime_seg.py',
]
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        _delete_=True,
        type='mmpretrain.TransferSwinTransformer',
        arch='base',
        img_size=224,
        drop_path_rate=0.3,
        out_indices=(0, 1, 2, 3),
        pad_small_map=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=None, prefix='backbone.',
            strict=True)),
    decode_head=dict(in_channels=[128, 256, 512, 1024], num_classes=150),
    auxiliary_head=dict(in_channels=512, num_classes=150))

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys={
            'absolute_pos_embed': dict(decay_mult=0.),
            'relative_position_bias_table': dict(decay_mult=0.),
            'norm': dict(decay_mult=0.)
        }))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
         end=1500),
    dict(type='PolyLR', eta_min=0.0, power=1.0, begin=1500, end=160000,
         by_epoch=False)
]
# Per-sample augmentation seeds (seed, epoch, index): resume reproduces an
# uninterrupted run whatever the dataloader workers do.
train_dataloader = dict(
    batch_size=2, sampler=dict(type='PerSampleSeedInfiniteSampler'))
val_dataloader = dict(batch_size=1)
test_dataloader = val_dataloader

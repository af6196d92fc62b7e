# NYUv2 raw video snippets in SC-Depth's layout (its prepared
# nyu/training/<scene>/*.jpg + cam.txt, training/train.txt), 3-frame clips
# (target and its two neighbours): flip, scale-crop U[1, 1.15] per axis and
# MeSa's 480 x 480 crop, all frames alike and the intrinsics updated.
data_root = 'data/nyu_raw/'
train_pipeline = [
    dict(type='LoadSnippetFromFiles'),
    dict(type='SnippetRandomFlip', prob=0.5),
    dict(type='SnippetRandomScaleCrop', scale_range=(1.0, 1.15)),
    dict(type='SnippetCrop', crop_size=480, random_crop=True),
    dict(type='PackSnippetInputs'),
]
train_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='PerSampleSeedInfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='VideoSnippetDataset',
        data_root=data_root,
        ann_file='training/train.txt',
        sequence_length=3,
        pipeline=train_pipeline))

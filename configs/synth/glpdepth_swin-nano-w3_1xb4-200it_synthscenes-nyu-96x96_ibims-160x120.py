# The iBims-1 out-of-distribution test on SynthScenes: a checkpoint of
# glpdepth_swin-nano-w3_1xb4-200it_synthscenes-nyu-96x96.py (trained on the
# NYUv2-layout rooms) tested, without fine-tuning, on the ibims/ subset
# (other rooms and cameras, 160x120, plane masks and normals exact from the
# scene geometry). The subset is optional; generate it with
#   python -m sgmim.datasets.synthscenes --out data/synthscenes --subsets all
#   python tools/test.py THIS_CONFIG CHECKPOINT
_base_ = [
    './glpdepth_swin-nano-w3_1xb4-200it_synthscenes-nyu-96x96.py',
    '../_base_/datasets/ibims1_640x480.py',
]
test_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='IBimsDataset',
        data_root='data/synthscenes/ibims',
        ann_file='imagelist.txt',
        data_format='mat',
        pipeline=_base_.ibims_test_pipeline))
test_evaluator = dict(_delete_=True, **_base_.ibims_test_evaluator)

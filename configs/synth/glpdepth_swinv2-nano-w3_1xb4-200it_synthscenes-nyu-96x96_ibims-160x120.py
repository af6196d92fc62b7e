# The iBims-1 out-of-distribution test on SynthScenes for a SwinV2-nano
# depth checkpoint (glpdepth_swinv2-nano-w3_1xb4-200it_synthscenes-nyu-
# 96x96.py, e.g. the end of the synth MeSa chain): the test set of the
# Swin-nano iBims config (glpdepth_swin-nano-..._ibims-160x120.py; mmengine
# merges no two bases that both hold a model, hence restated).
#   python tools/test.py THIS_CONFIG CHECKPOINT
_base_ = [
    './glpdepth_swinv2-nano-w3_1xb4-200it_synthscenes-nyu-96x96.py',
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

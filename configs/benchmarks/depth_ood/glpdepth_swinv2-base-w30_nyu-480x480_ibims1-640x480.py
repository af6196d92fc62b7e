# Out-of-distribution test on iBims-1, without fine-tuning, of a GLPDepth
# SwinV2-B checkpoint trained on NYUv2 by
# ../glpdepth/glpdepth_swinv2-base-w30_8xb3-25e_nyu-480x480.py (MeSa's
# transfer protocol): the same model and test-time inference (2 sliding
# windows + flip; iBims images are 640x480 as NYUv2's), iBims-1 data and
# metrics.
#   python tools/test.py THIS_CONFIG CHECKPOINT
# Another depth model: the same three lines over its own config.
_base_ = [
    '../glpdepth/glpdepth_swinv2-base-w30_8xb3-25e_nyu-480x480.py',
    '../../_base_/datasets/ibims1_640x480.py',
]
# _delete_: replace the NYU test set and metric, do not merge into them
test_dataloader = dict(_delete_=True, **_base_.ibims_test_dataloader)
test_evaluator = dict(_delete_=True, **_base_.ibims_test_evaluator)

# As glpdepth_swin-base-w30_8xb3-25e_nyu-480x480.py (model, pipelines,
# optimizer, learning-rate curve) on the NYUv2 labeled split instead of the
# 24231-frame BTS list: 795 training / 654 test images of
# nyu_depth_v2_labeled.mat (official splits.mat) in mmseg's NYUDataset layout,
# data/nyu from tools/dataset_converters/prepare_nyu.py. The 25 epochs are
# 25 * 795 // 24 = 828 iterations.
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = 'glpdepth_swin-base-w30_8xb3-25e_nyu-480x480.py'
dataset_type = 'NYUDataset'
data_root = 'data/nyu'
num_train_images = 795
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='',
        data_prefix=dict(
            img_path='images/train', depth_map_path='annotations/train')))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='',
        data_prefix=dict(
            img_path='images/test', depth_map_path='annotations/test')))
test_dataloader = val_dataloader
# The schedule re-sized for this split (as in the parent config).
max_iters = (_base_.num_epochs * num_train_images //
             _base_.total_batch_size)
half_cycle_iters = (_base_.half_cycle_epochs * num_train_images //
                    _base_.total_batch_size)
param_scheduler = [
    dict(_base_.param_scheduler[0], rise_steps=half_cycle_iters,
         fall_steps=half_cycle_iters, end=max_iters)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 5)

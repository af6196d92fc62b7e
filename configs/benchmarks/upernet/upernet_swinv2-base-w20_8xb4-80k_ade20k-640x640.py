# UperNet, SwinV2-B on ADE20K, same protocol as the Swin-B config.
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = 'upernet_swin-base-w20_8xb4-80k_ade20k-640x640.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.TransferSwinTransformerV2',
        arch='base',
        img_size=224,
        window_size=[20, 20, 20, 20],
        pretrained_window_sizes=[12, 12, 12, 6],
        drop_path_rate=0.1,
        out_indices=(0, 1, 2, 3),
        pad_small_map=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=None, prefix='backbone.',
            strict=True)))

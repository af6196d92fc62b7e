# GLPDepth-style head on a SwinV2-B encoder; otherwise as the Swin-B config.
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = 'glpdepth_swin-base-w12_8xb3-25e_nyu-480x480.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.TransferSwinTransformerV2',
        arch='base',
        img_size=224,
        window_size=[12, 12, 12, 12],
        pretrained_window_sizes=[12, 12, 12, 6],
        drop_path_rate=0.3,
        out_indices=(3, ),
        pad_small_map=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=None, prefix='backbone.')))

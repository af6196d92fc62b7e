# GLPDepth-style head on a SwinV2-B encoder; otherwise as the Swin-B config.
# The authors' windows for this crop (see there), with the CPB normalised by
# the SimMIM/SG-MIM SwinV2 pre-training windows 12/12/12/6
# (--pretrain_window_size 12 12 12 6).
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = 'glpdepth_swin-base-w30_8xb3-25e_nyu-480x480.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.TransferSwinTransformerV2',
        arch='base',
        img_size=224,
        window_size=[30, 30, 30, 15],
        pretrained_window_sizes=[12, 12, 12, 6],
        stage_cfgs=[
            dict(),
            dict(),
            dict(block_cfgs=dict(shift=False)),
            dict(block_cfgs=dict(shift=False)),
        ],
        drop_path_rate=0.3,
        out_indices=(3, ),
        pad_small_map=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=None, prefix='backbone.',
            strict=True)))

# Mask R-CNN, SwinV2-B + FPN on COCO, same protocol as the Swin-B config.
# pretrained_window_sizes: the SimMIM/SG-MIM SwinV2 pre-training windows.
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = 'mask-rcnn_swin-base-w14_fpn_8xb4-lsj-3x_coco.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.TransferSwinTransformerV2',
        arch='base',
        img_size=224,
        window_size=[14, 14, 14, 14],
        pretrained_window_sizes=[12, 12, 12, 6],
        drop_path_rate=0.1,
        out_indices=(0, 1, 2, 3),
        pad_small_map=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=None, prefix='backbone.',
            strict=True)))
# Swin v1's no-decay keys plus SwinV2's continuous position bias terms.
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'cpb_mlp': dict(decay_mult=0.),
            'logit_scale': dict(decay_mult=0.)
        }))

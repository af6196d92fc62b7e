# Mask R-CNN, ViT-B/16 with ViTDet's simple feature pyramid (SimpleFPN, LN2d:
# sgmim ships them, mmdet's wheel does not) on COCO, same protocol as the Swin
# configs (3x, AdamW lr 8e-5, LSJ 1024, drop path 0.1). mmpretrain's ViT uses
# global attention in every block (ViTDet's windowed blocks are not used);
# TransferVisionTransformer is that ViT, loading a 224-px class-token
# checkpoint without the class token (mmpretrain's own fails to resize it).
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = 'mask-rcnn_swin-base-w14_fpn_8xb4-lsj-3x_coco.py'
norm_cfg = dict(type='LN2d', requires_grad=True)
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.TransferVisionTransformer',
        arch='base',
        img_size=1024,
        patch_size=16,
        out_type='featmap',
        with_cls_token=False,
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', checkpoint=None, prefix='backbone.',
            strict=True)),
    neck=dict(
        _delete_=True,
        type='SimpleFPN',
        backbone_channel=768,
        in_channels=[192, 384, 768, 768],
        out_channels=256,
        num_outs=5,
        norm_cfg=norm_cfg),
    rpn_head=dict(num_convs=2),
    roi_head=dict(
        bbox_head=dict(
            type='Shared4Conv1FCBBoxHead',
            conv_out_channels=256,
            norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)))
optim_wrapper = dict(
    paramwise_cfg=dict(
        _delete_=True, custom_keys={'pos_embed': dict(decay_mult=0.)}))

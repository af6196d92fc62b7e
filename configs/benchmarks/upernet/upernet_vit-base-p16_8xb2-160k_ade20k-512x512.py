# UperNet, ViT-B/16 on ADE20K: the MAE/LUT protocol (160k iterations at 512,
# batch 16 = 8 x 2, AdamW lr 1e-4, layer decay 0.65, warm-up 1500, drop path
# 0.1); mmseg's MultiLevelNeck turns the 4 ViT levels into a stride 4-32
# pyramid.
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = 'upernet_swin-base-w7_8xb2-160k_ade20k-512x512.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.VisionTransformer',
        arch='base',
        img_size=512,
        patch_size=16,
        out_type='featmap',
        out_indices=(3, 5, 7, 11),
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', checkpoint=None, prefix='backbone.',
            strict=True)),
    neck=dict(
        type='MultiLevelNeck',
        in_channels=[768, 768, 768, 768],
        out_channels=768,
        scales=[4, 2, 1, 0.5]),
    decode_head=dict(in_channels=[768, 768, 768, 768]),
    auxiliary_head=dict(in_channels=768))
optim_wrapper = dict(
    type='AmpOptimWrapper',
    constructor='LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(_delete_=True, layer_decay_rate=0.65))

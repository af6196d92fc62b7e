# GLPDepth-style head on a ViT-B/16 encoder (stride 16: one deconvolution
# fewer); otherwise as the Swin-B config.
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = 'glpdepth_swin-base-w22_8xb3-25e_kitti-352x352.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.VisionTransformer',
        arch='base',
        img_size=352,
        patch_size=16,
        out_type='featmap',
        drop_path_rate=0.3,
        init_cfg=dict(
            type='Pretrained', checkpoint=None, prefix='backbone.',
            strict=True)),
    decode_head=dict(in_channels=768, in_stride=16))

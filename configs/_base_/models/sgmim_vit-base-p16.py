# SG-MIM with a ViT-B/16 encoder for 224 px inputs (latent stride 16, 768-d).
_base_ = 'sgmim_swin-base-w6.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='SimMIMVisionTransformer',
        arch='base',
        img_size=224,
        patch_size=16),
    neck=dict(in_channels=768, encoder_stride=16),
    head=dict(patch_size=16),
    guidance_neck=dict(
        in_channels=768,
        input_size=224,
        stride=16,
        extractor=dict(out_channels=768, stride=16)),
    structure_neck=dict(in_channels=768, encoder_stride=16),
    structure_head=dict(patch_size=16))

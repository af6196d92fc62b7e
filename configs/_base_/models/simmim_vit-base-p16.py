# SimMIM with a ViT-B/16 encoder for 224 px inputs (latent stride 16, 768-d).
_base_ = 'simmim_swin-base-w6.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='SimMIMVisionTransformer',
        arch='base',
        img_size=224,
        patch_size=16),
    neck=dict(in_channels=768, encoder_stride=16),
    head=dict(patch_size=16))

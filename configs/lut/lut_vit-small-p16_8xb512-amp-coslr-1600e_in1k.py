# LUT ViT-S/16 (384-d, 12 blocks, 6 heads; mmpretrain's 'small' ViT is
# another model), 1600 epochs, 8 GPUs x 512: lambda 1.0 (REFERENCE.md §2),
# the ViT-B recipe otherwise. MAE decoder unchanged (512-d, 8 blocks).
_base_ = './lut_vit-base-p16_8xb512-amp-coslr-1600e_in1k.py'
embed_dims = 384
mlp = dict(in_channels=embed_dims, out_channels=embed_dims)
model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=embed_dims,
            num_layers=12,
            num_heads=6,
            feedforward_channels=4 * embed_dims)),
    neck=dict(embed_dim=embed_dims),
    projector=mlp,
    predictor=mlp,
    context_loss_weight=1.0)

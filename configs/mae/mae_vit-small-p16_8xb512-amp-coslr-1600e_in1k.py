# MAE ViT-S/16 (DeiT-S width: 384, 12 layers, 6 heads), 1600 epochs, 8 GPUs x
# 512 images: the ViT-B recipe with the encoder narrowed. The decoder stays
# 512-d, 8 blocks, 16 heads, as in the LUT code's lut_vit_small_patch16
# (MAE has no ViT-S; the LUT paper's ViT-S baseline is this model).
_base_ = './mae_vit-base-p16_8xb512-amp-coslr-1600e_in1k.py'
model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=384,
            num_layers=12,
            num_heads=6,
            feedforward_channels=4 * 384)),
    neck=dict(embed_dim=384))

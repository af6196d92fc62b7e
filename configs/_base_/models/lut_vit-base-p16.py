# LUT with a ViT-B/16 encoder (REFERENCE.md §2): mmpretrain's MAE ViT-B/16
# (mask ratio 0.75, 8-block 512-d decoder, normalised-pixel MSE) plus the
# projector and predictor, Linear(768->4096, no bias) -> BN -> ReLU ->
# Linear(4096->768, no bias), and the EMA teacher (encoder + projector,
# momentum 0.996 -> 1 on a per-iteration cosine). lambda = 0.25 (ViT-B).
# BN: SyncBN, as the authors convert their model; mmengine reverts it to BN
# when training is not distributed.
_base_ = 'mmpretrain::_base_/models/mae_vit-base-p16.py'
embed_dims = 768
mlp = dict(
    type='NonLinearNeck',
    in_channels=embed_dims,
    hid_channels=4096,
    out_channels=embed_dims,
    num_layers=2,
    with_bias=False,
    with_last_bn=False,
    with_last_bias=False,
    with_avg_pool=False,
    norm_cfg=dict(type='SyncBN'))
model = dict(
    type='LUT',
    projector=mlp,
    predictor=mlp,
    context_loss=dict(
        type='CosineSimilarityLoss', shift_factor=2.0, scale_factor=2.0),
    context_loss_weight=0.25,
    teacher_covers='encoder_projector',
    base_momentum=0.996,
    end_momentum=1.0)

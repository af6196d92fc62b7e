# SG-MIM with a Swin-B encoder (window 6) for 192 px inputs: SimMIM's image
# branch plus the relational guidance neck (MLP extractor + cross-attention
# fusion) and a one-layer structure decoder with an L1 loss.
model = dict(
    type='SGMIM',
    backbone=dict(
        type='SimMIMSwinTransformer',
        arch='base',
        img_size=192,
        stage_cfgs=dict(block_cfgs=dict(window_size=6))),
    neck=dict(
        type='SimMIMLinearDecoder', in_channels=128 * 2**3, encoder_stride=32),
    head=dict(
        type='SimMIMHead',
        patch_size=4,
        loss=dict(type='PixelReconstructionLoss', criterion='L1', channel=3)),
    guidance_neck=dict(
        type='RelationalGuidanceNeck',
        in_channels=128 * 2**3,
        input_size=192,
        stride=32,
        num_heads=8,
        mlp_ratio=4.,
        qkv_bias=False,
        extractor=dict(
            type='MLPStructureExtractor',
            out_channels=128 * 2**3,
            stride=32,
            embed_dims=256,
            num_layers=2)),
    structure_neck=dict(
        type='LinearPixelShuffleDecoder',
        in_channels=128 * 2**3,
        encoder_stride=32,
        out_channels=1),
    structure_head=dict(
        type='SimMIMHead',
        patch_size=4,
        loss=dict(type='PixelReconstructionLoss', criterion='L1', channel=1)),
    image_loss_weight=1.0,
    structure_loss_weight=1.0)

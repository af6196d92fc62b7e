# The GLPDepth head of the authors' code instead of the paper's text (32
# filters everywhere, the parent's head); otherwise as the parent.
# SwinTransformer/MIM-Depth-Estimation, models/model.py:
# - L51-59: the conv after the deconvolutions (Decoder, L88-95) and the two
#   prediction convs (last_layer_depth) have channels_out = embed_dim = 128
#   filters (SwinV2-B); the deconvolutions keep --num_filters 32 32 32;
# - L61-63, L153-161: every Conv2d and ConvTranspose2d N(0, 0.001²) with
#   zero bias, BatchNorm weight 1 and bias 0 (GLPDEPTH_AUTHORS_INIT_CFG in
#   sgmim/models/depth/glpdepth_head.py).
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = 'glpdepth_swinv2-base-w30_8xb3-25e_nyu-480x480.py'
model = dict(
    decode_head=dict(
        channels=32,
        head_channels=128,
        init_cfg=[
            dict(type='Normal', std=0.001, bias=0.,
                 layer=['Conv2d', 'ConvTranspose2d']),
            dict(type='Constant', val=1., bias=0., layer='_BatchNorm')
        ]))

# DPT depth head on four levels of a ViT-B/16 encoder, NYUv2 (the SG-MIM
# paper's NYUv2 protocol for ViT: 480x480, max depth 10 m).
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = '../glpdepth/glpdepth_vit-base-p16_8xb3-25e_nyu-480x480.py'
model = dict(
    backbone=dict(out_indices=(2, 5, 8, 11), final_norm=False),
    decode_head=dict(
        _delete_=True,
        type='DPTDepthHead',
        in_channels=(768, 768, 768, 768),
        channels=256,
        in_index=(0, 1, 2, 3),
        embed_dims=768,
        post_process_channels=(96, 192, 384, 768),
        readout_type='ignore',
        max_depth=10.0,
        depth_act='sigmoid',
        loss_decode=dict(type='SiLogLoss')))

# MeSa stage 2 on SwinV2-L (the paper's encoder); otherwise as the SwinV2-B
# config. Start from the masked stage
# (configs/mesa/mesa-masked_swinv2-large-w12_8xb128-amp-step-800e_in1k-192px.py):
#   --cfg-options model.backbone.init_cfg.checkpoint=STAGE1.pth
_base_ = './mesa-geometric_swinv2-base-w30_8xb1-amp-adam-100k_nyu-raw-480x480.py'
model = dict(
    backbone=dict(arch='large'),
    decoder=dict(in_channels=[192, 384, 768, 1536]))

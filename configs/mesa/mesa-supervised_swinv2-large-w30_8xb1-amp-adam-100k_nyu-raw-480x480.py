# MeSa stage 3 on SwinV2-L (the paper's encoder); otherwise as the SwinV2-B
# config:
#   --cfg-options model.backbone.init_cfg.checkpoint=STAGE2.pth
_base_ = './mesa-supervised_swinv2-base-w30_8xb1-amp-adam-100k_nyu-raw-480x480.py'
model = dict(
    backbone=dict(arch='large'),
    decoder=dict(in_channels=[192, 384, 768, 1536]))

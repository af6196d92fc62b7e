# MeSa's NYUv2 fine-tuning on SwinV2-L (the paper's encoder); otherwise as
# the SwinV2-B config.
#   --cfg-options model.backbone.init_cfg.checkpoint=STAGE3.pth
_base_ = './glpdepth_swinv2-base-w30_8xb3-75e_nyu-480x480.py'
model = dict(backbone=dict(arch='large'), decode_head=dict(in_channels=1536))

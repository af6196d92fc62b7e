# ImageNet-1k fine-tuning of a pre-trained ViT-B/16 encoder: mmpretrain's MAE
# recipe (100 epochs, AdamW, layer decay 0.65, drop path 0.1, RandAugment,
# mixup/cutmix). The encoder comes through one key:
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = [
    'mmpretrain::mae/benchmarks/vit-base-p16_8xb128-coslr-100e_in1k.py',
    '../../_base_/sgmim_imports.py',
]
model = dict(backbone=dict(init_cfg=dict(checkpoint=None)))

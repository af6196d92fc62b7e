# LUT on SimMIM, ViT-B/16 at 224 px: SimMIM's mask-token encoder and linear
# decoder (L1 on the masked pixels of view 1) with LUT's teacher, projector,
# predictor and context loss (lambda 0.25). SimMIM's recipe and masking
# (800 epochs, 8 x 128, lr 1e-4 x 1024 / 512 stepped x0.1 at 700; 32 px mask
# cells, ratio 0.6): each view keeps 19 of the 49 cells, view 2 the next 19
# of the same permutation. LUT's two-view augmentation replaces SimMIM's
# RandomResizedCrop. The paper reports this variant without its recipe:
# these choices are ours.
_base_ = [
    '../_base_/models/simmim_vit-base-p16.py',
    '../_base_/datasets/imagenet_bs512_lut_224.py',
    '../_base_/schedules/simmim_adamw-step-800e.py',
    '../_base_/default_runtime.py',
]
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
    type='LUTSimMIM',
    projector=mlp,
    predictor=mlp,
    mask_patch_size=32,
    mask_ratio=0.6,
    pool_tokens='visible',
    context_loss_weight=0.25,
    teacher_covers='encoder_projector')
train_dataloader = dict(batch_size=128)
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=50, max_keep_ckpts=3))

"""Tiny configs and checkpoints for the analysis tests: ViT, Swin and SwinV2
encoders from mmpretrain and sgmim, an mmseg segmentor and an mmdet detector
around mmpretrain backbones."""
import textwrap

import torch

NORM = ("data_preprocessor = dict(type='SelfSupDataPreprocessor', "
        "mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], "
        "to_rgb=True)\n")

VIT = """
default_scope = 'mmpretrain'
custom_imports = dict(imports=['sgmim'], allow_failed_imports=False)
model = dict(
    type='SimMIM',
    backbone=dict(type='SimMIMVisionTransformer',
                  arch=dict(embed_dims=16, num_layers=2, num_heads=2,
                            feedforward_channels=32),
                  img_size=32, patch_size=8),
    neck=dict(type='SimMIMLinearDecoder', in_channels=16, encoder_stride=8),
    head=dict(type='SimMIMHead', patch_size=8,
              loss=dict(type='PixelReconstructionLoss', criterion='L1',
                        channel=3)))
""" + NORM

SWIN = """
default_scope = 'mmpretrain'
custom_imports = dict(imports=['sgmim'], allow_failed_imports=False)
model = dict(
    type='SimMIM',
    backbone=dict(type='SimMIMSwinTransformer',
                  arch=dict(embed_dims=16, depths=[2, 2], num_heads=[1, 2]),
                  img_size=32, out_indices=(1, ),
                  stage_cfgs=dict(block_cfgs=dict(window_size=4))),
    neck=dict(type='SimMIMLinearDecoder', in_channels=32, encoder_stride=8),
    head=dict(type='SimMIMHead', patch_size=4,
              loss=dict(type='PixelReconstructionLoss', criterion='L1',
                        channel=3)))
""" + NORM

SWINV2 = """
default_scope = 'mmpretrain'
custom_imports = dict(imports=['sgmim'], allow_failed_imports=False)
model = dict(
    type='SimMIM',
    backbone=dict(type='SimMIMSwinTransformerV2',
                  arch=dict(embed_dims=8, depths=[2, 2, 16, 2],
                            num_heads=[1, 1, 2, 2],
                            extra_norm_every_n_blocks=0),
                  img_size=64, window_size=[2, 2, 2, 2], drop_path_rate=0.),
    neck=dict(type='SimMIMLinearDecoder', in_channels=64, encoder_stride=32),
    head=dict(type='SimMIMHead', patch_size=4,
              loss=dict(type='PixelReconstructionLoss', criterion='L1',
                        channel=3)))
""" + NORM

SEG = """
default_scope = 'mmseg'
custom_imports = dict(imports=['sgmim'], allow_failed_imports=False)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor',
                           mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True,
                           size=(32, 32)),
    backbone=dict(type='mmpretrain.VisionTransformer',
                  arch=dict(embed_dims=16, num_layers=2, num_heads=2,
                            feedforward_channels=32),
                  img_size=32, patch_size=8, out_type='featmap',
                  init_cfg=dict(type='Pretrained', checkpoint='nowhere.pth',
                                prefix='backbone.')),
    decode_head=dict(type='FCNHead', in_channels=16, channels=8,
                     num_convs=1, num_classes=2, norm_cfg=norm_cfg,
                     loss_decode=dict(type='CrossEntropyLoss')),
    test_cfg=dict(mode='whole'))
"""


def det_config() -> str:
    """A tiny Mask R-CNN around mmpretrain's Swin (mmdet scope)."""
    from tiny_models import tiny_mask_rcnn
    model = tiny_mask_rcnn(
        backbone=dict(type='mmpretrain.SwinTransformer',
                      arch=dict(embed_dims=16, depths=[1, 1],
                                num_heads=[1, 2]),
                      img_size=32, out_indices=(0, 1),
                      stage_cfgs=dict(block_cfgs=dict(window_size=4))),
        neck=dict(type='FPN', in_channels=[16, 32], out_channels=16,
                  num_outs=2))
    return ("default_scope = 'mmdet'\n"
            "custom_imports = dict(imports=['sgmim'])\n"
            f'model = {model!r}\n')


def write_config(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def save_checkpoint(model, path, seed=0, wrap=True):
    """Random weights (seeded) for ``model`` saved as an mmengine-style
    checkpoint; returns the path."""
    torch.manual_seed(seed)
    params = dict(model.named_parameters())
    state = {k: (torch.randn_like(v) * 0.2 if k in params else v)
             for k, v in model.state_dict().items()}
    torch.save(dict(meta=dict(epoch=1), state_dict=state) if wrap else state,
               path)
    return str(path)

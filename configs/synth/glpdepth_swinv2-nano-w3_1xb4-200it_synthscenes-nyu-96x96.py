# CPU-sized GLPDepth fine-tuning of a SwinV2-nano encoder on SynthScenes
# (NYUv2 layout): the synth Swin-nano config with the encoder of the synth
# SwinV2 pre-training (SG-MIM stage 1, the MeSa stages) in the place of
# Swin's, as the real SwinV2-B config swaps it into the Swin-B one.
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = './glpdepth_swin-nano-w3_1xb4-200it_synthscenes-nyu-96x96.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmpretrain.TransferSwinTransformerV2',
        arch=dict(
            embed_dims=32,
            depths=[1, 1, 2, 1],
            num_heads=[1, 2, 4, 8],
            extra_norm_every_n_blocks=0),
        img_size=96,
        window_size=[3, 3, 3, 3],
        pretrained_window_sizes=[3, 3, 3, 3],
        drop_path_rate=0.1,
        out_indices=(3, ),
        pad_small_map=True,
        init_cfg=dict(
            type='Pretrained', checkpoint=None, prefix='backbone.',
            strict=True)))

# CPU-sized SimMIM SwinV2 on SynthScenes, MeSa's stage 1 (masked
# pre-training) at toy size: the real SwinV2-B config with the data root,
# image size and width changed (fp32: AMP needs a GPU). The encoder is the
# synth SG-MIM SwinV2-nano's and the MeSa synth stages' (32-d, depths
# 1-1-2-1, windows of 3); batch and schedule are the synth SimMIM Swin's.
_base_ = './simmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='SimMIMSwinTransformerV2',
        arch=dict(
            embed_dims=32,
            depths=[1, 1, 2, 1],
            num_heads=[1, 2, 4, 8],
            extra_norm_every_n_blocks=0),
        img_size=96,
        window_size=[3, 3, 3, 3]))

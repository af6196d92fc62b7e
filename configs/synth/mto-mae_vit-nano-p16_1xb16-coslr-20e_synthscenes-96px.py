# CPU-sized MTO on MAE on SynthScenes: the synth MAE config (64-d 2-block
# encoder, one-block 32-d decoder, batch 16, 20 epochs, fp32), its baseline,
# with the three MTO losses on the decoder (layer 0 the decoder input with
# the mask tokens, layer 1 its block; raw features, tau = 1, eps = 1e-6).
# This one config stands for the ViT-B and ViT-L, 400 / 800 / 1600-epoch
# ImageNet configs alike.
_base_ = './mae_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py'
model = dict(type='MTOMAE', mto=dict())

# CPU-sized MTO on SimMIM on SynthScenes: the synth SimMIM ViT config (64-d,
# 2 blocks, batch 16, 20 epochs, fp32), its baseline, with the three MTO
# losses on (layer 0 the patch embedding with its mask tokens, layers 1..2
# the blocks; raw features, tau = 1, eps = 1e-6). This one schedule stands
# for the 400- and 800-epoch ImageNet configs alike.
_base_ = './simmim_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py'
model = dict(type='MTOSimMIM', mto=dict())

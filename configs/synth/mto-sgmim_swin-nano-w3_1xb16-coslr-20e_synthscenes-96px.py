# CPU-sized MTO on SG-MIM on SynthScenes: the synth SG-MIM Swin config
# (32-d, depths 1-1-2-1, windows of 3, batch 16, 20 epochs, fp32), its
# baseline, with the three MTO losses on the image encoder (layer 0 the
# patch embedding with its mask tokens, layers 1..5 the blocks; each stage
# reads the mask on its own grid, mixed tokens left out; raw features,
# tau = 1, eps = 1e-6).
_base_ = './sgmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py'
model = dict(mto=dict())

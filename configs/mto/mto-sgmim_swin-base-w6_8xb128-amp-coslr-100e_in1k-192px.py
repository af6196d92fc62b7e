# MTO on SG-MIM Swin-B, 100 epochs at 192 px: the SG-MIM config with the
# three MTO losses added (L_spa + L_e + L_r, weights 1) on the image
# encoder: layer 0 the patch embedding with its mask tokens, layers 1..24
# the Swin blocks. MTO on SG-MIM and on Swin is not in the paper; the stage
# rule is our choice (README): on each stage's token grid a merged token is
# masked when all its patches are, visible when none is, and mixed tokens
# are left out (none are with 32 px mask cells). Normalisation, temperature
# and eps, open in the paper: raw features, tau = 1, eps = 1e-6 (the
# defaults of mto=dict()).
_base_ = '../sgmim/sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-192px.py'
model = dict(mto=dict())

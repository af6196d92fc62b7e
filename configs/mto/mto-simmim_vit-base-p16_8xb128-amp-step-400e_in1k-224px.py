# MTO on SimMIM ViT-B/16, 400 epochs at 224 px: SimMIM's baseline config
# with the three MTO losses added (L_spa + L_e + L_r, weights 1) on the
# encoder: layer 0 the patch embedding with its mask tokens and position
# embedding (backbone.drop_after_pos), layers 1..12 the blocks.
# Its 400-epoch SimMIM schedule (x0.1 at epoch 350, 10 warm-up epochs) is
# our choice: SimMIM publishes ViT-B at 800 epochs only.
# The paper leaves normalisation, temperature and eps open: raw features,
# tau = 1, eps = 1e-6 (the defaults of mto=dict(); README).
_base_ = '../simmim/simmim_vit-base-p16_8xb128-amp-step-400e_in1k-224px.py'
model = dict(type='MTOSimMIM', mto=dict())

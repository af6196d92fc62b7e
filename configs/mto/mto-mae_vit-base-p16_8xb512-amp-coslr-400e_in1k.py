# MTO on MAE ViT-B/16, 400 epochs, 8 GPUs x 512: the MAE baseline config with
# the three MTO losses added (L_spa + L_e + L_r, weights 1) on the decoder,
# where MAE's mask tokens live: layer 0 the decoder input (decoder embedding
# with the mask tokens and the decoder position embedding), layers 1..8 the
# decoder blocks. The MAE recipe is mmpretrain's (our baselines'; the
# paper's is not recorded). The paper leaves normalisation, temperature and
# eps open: raw features, tau = 1, eps = 1e-6 (the defaults; README).
_base_ = '../mae/mae_vit-base-p16_8xb512-amp-coslr-400e_in1k.py'
model = dict(type='MTOMAE', mto=dict())

# MeSa stage 1, masked pre-training: SimMIM with the paper's SwinV2-L
# encoder, the recipe of our SimMIM SwinV2-B 800-epoch config (the paper
# gives the encoder, not its recipe; for SwinV2-B stage 1 is
# configs/simmim/simmim_swinv2-base-w12_8xb128-amp-step-800e_in1k-192px.py
# itself).
_base_ = '../simmim/simmim_swinv2-base-w12_8xb128-amp-step-800e_in1k-192px.py'
model = dict(backbone=dict(arch='large'), neck=dict(in_channels=1536))

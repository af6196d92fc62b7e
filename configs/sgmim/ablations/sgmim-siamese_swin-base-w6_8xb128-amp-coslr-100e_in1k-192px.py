# Ablation: Siamese extractor, the map goes through the image encoder itself
# (shared weights).
_base_ = '../sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-192px.py'
model = dict(
    guidance_neck=dict(
        extractor=dict(_delete_=True, type='SiameseStructureExtractor')))

# Ablation, MTO on SimMIM ViT-B/16, 400 epochs: L_spa alone (L_e, L_r off).
# Paper: 83.2 fine-tuning top-1 (all three terms, the parent config: 83.5).
_base_ = '../mto-simmim_vit-base-p16_8xb128-amp-step-400e_in1k-224px.py'
model = dict(mto=dict(terms=('spa', )))

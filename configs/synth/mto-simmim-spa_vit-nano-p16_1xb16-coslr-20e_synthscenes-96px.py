# CPU-sized MTO ablation on SynthScenes: L_spa alone, the ImageNet
# ablation's terms on the synth MTO SimMIM ViT config (its parent).
_base_ = './mto-simmim_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py'
model = dict(mto=dict(terms=('spa', )))

# Ablation: the teacher is the EMA of the whole model (encoder, decoder,
# projector, predictor), BN buffers averaged too: the authors' code. The
# paper (default) names encoder + projector. 400 epochs.
_base_ = '../lut_vit-base-p16_8xb512-amp-coslr-400e_in1k.py'
model = dict(teacher_covers='all')

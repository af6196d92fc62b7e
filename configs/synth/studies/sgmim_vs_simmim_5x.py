# Study file of tools/analysis_tools/synth_study.py: the pre-training budget
# check of issue 8 (is the depth result of sgmim_vs_simmim.py a budget
# effect?). The same encoders, data, seeds and depth protocol, pre-trained
# 5x longer: 100 epochs of the 512 study images (3,200 iterations) instead of
# 20. Run it in the work directory of sgmim_vs_simmim.py, whose data set and
# random-initialisation runs it reuses:
#
#   python tools/analysis_tools/synth_study.py \
#       configs/synth/studies/sgmim_vs_simmim_5x.py \
#       --work-dir work_dirs/study \
#       --out docs/study_sgmim_5x.md --torch-threads 1
_base_ = ['./sgmim_vs_simmim.py']
title = 'SG-MIM vs SimMIM on SynthScenes, 5x pre-training (seeded study)'
_synth = 'configs/synth/'
_epochs = 100
# the whole schedule 5x: warm-up 10 epochs (2), cosine over the other 90 (18)
_budget = {
    'train_cfg.max_epochs': _epochs,
    'param_scheduler.0.end': _epochs // 10,
    'param_scheduler.1.begin': _epochs // 10,
    'param_scheduler.1.T_max': _epochs - _epochs // 10,
    'param_scheduler.1.end': _epochs,
}

pretrain = dict(
    _delete_=True,
    random=None,
    **{
        'SimMIM-100e': dict(
            config=_synth +
            'simmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py',
            cfg_options=_budget),
        'SG-MIM-100e': dict(
            config=_synth +
            'sgmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py',
            cfg_options=_budget),
    })
# depth at the synth config's lr (the study's first task) only
transfer = dict(
    _delete_=True, depth={{_base_.transfer.depth}})
comparisons = [('SG-MIM-100e', 'SimMIM-100e')]

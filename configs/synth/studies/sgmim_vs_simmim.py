# Study file of tools/analysis_tools/synth_study.py (`make study`): random
# initialisation vs SimMIM vs SG-MIM pre-training of the same nano Swin
# encoder on SynthScenes, each transferred to GLPDepth depth (NYUv2 layout)
# and UperNet segmentation (ADE20K layout), over three seeds.
#
# Entries: pretrain name -> None (random init), a config path or
# dict(config=..., cfg_options=...); transfer name -> dict(config=...,
# metrics=dict(name='higher'|'lower'), cfg_options=...). A method's
# cfg_options apply to its pre-training runs, a task's to its fine-tuning and
# test runs: set the budgets (epochs, iterations) there. Other methods (LUT,
# MTO, MeSa) join by adding a `pretrain` entry.
title = 'SG-MIM vs SimMIM on SynthScenes (seeded study)'
_synth = 'configs/synth/'
_depth_iters = 800
_depth_budget = {
    'train_cfg.max_iters': _depth_iters,
    'train_cfg.val_interval': _depth_iters,
    'param_scheduler.0.rise_steps': _depth_iters * 12 // 25,
    'param_scheduler.0.fall_steps': _depth_iters * 12 // 25,
    'param_scheduler.0.end': _depth_iters,
    'default_hooks.checkpoint.interval': _depth_iters,
}

pretrain = {
    'random': None,
    'SimMIM': dict(
        config=_synth +
        'simmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py',
        cfg_options=dict(train_cfg=dict(max_epochs=20))),
    'SG-MIM': dict(
        config=_synth +
        'sgmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py',
        cfg_options=dict(train_cfg=dict(max_epochs=20))),
}

transfer = {
    # 800 iterations (about 33 epochs of the 96 training images) instead of
    # the config's 200, where the seed-to-seed spread of one encoder (up to
    # 0.06 d1) exceeded every gap between encoders. The protocol's curve is
    # stretched with it (12 + 12 of 25 parts).
    'depth': dict(
        config=_synth +
        'glpdepth_swin-nano-w3_1xb4-200it_synthscenes-nyu-96x96.py',
        metrics=dict(d1='higher', abs_rel='lower', rmse='lower'),
        cfg_options=_depth_budget),
    # The same with the protocol's peak lr 5e-4 instead of the synth config's
    # 2e-3: does a gentler fine-tuning keep more of a pre-trained encoder?
    'depth-lr5e-4': dict(
        config=_synth +
        'glpdepth_swin-nano-w3_1xb4-200it_synthscenes-nyu-96x96.py',
        metrics=dict(d1='higher', abs_rel='lower', rmse='lower'),
        cfg_options={**_depth_budget, 'optim_wrapper.optimizer.lr': 5e-4}),
    # Diagnostic, not the protocol: the head on the third stage (stride 16,
    # a 6 x 6 map of a 96 px crop) instead of the last (3 x 3).
    'depth-stage3': dict(
        config=_synth +
        'glpdepth_swin-nano-w3_1xb4-200it_synthscenes-nyu-96x96.py',
        metrics=dict(d1='higher', abs_rel='lower', rmse='lower'),
        cfg_options={
            **_depth_budget, 'model.backbone.out_indices': (2, ),
            'model.decode_head.in_channels': 128,
            'model.decode_head.in_stride': 16
        }),
    'UperNet': dict(
        config=_synth +
        'upernet_swin-nano-w7_1xb4-40it_synthscenes-ade-128x128.py',
        metrics=dict(mIoU='higher', aAcc='higher'),
        cfg_options=dict(train_cfg=dict(max_iters=40))),
}

seeds = [0, 1, 2]
# The study's own SynthScenes set (WORK_DIR/data/synthscenes): 4x the default
# pre-training images (20 epochs = 640 iterations instead of the demo's 160)
# and 4x the default test images per task (64), so that a difference between
# encoders is not buried under the sampling noise of 16 test images.
data = dict(seed=0, num_pretrain=512, num_train=96, num_val=64)
reference = 'random'  # every method against random initialisation, and:
comparisons = [('SG-MIM', 'SimMIM')]

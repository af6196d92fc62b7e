# Study file of tools/analysis_tools/synth_study.py: the low-data check of
# issue 8 (does a randomly initialised encoder match the pre-trained ones on
# depth only because 96 training images are enough to learn SynthScenes'
# room layouts from scratch?). The first study's encoders, data, seeds and
# depth protocol, fine-tuned on the first 24 of the 96 training images
# (mmengine's `indices`), for the same 800 iterations. Run it in the work
# directory of sgmim_vs_simmim.py, whose data set and pre-training runs it
# reuses:
#
#   python tools/analysis_tools/synth_study.py \
#       configs/synth/studies/sgmim_vs_simmim_24img.py \
#       --work-dir work_dirs/study \
#       --out docs/study_sgmim_24img.md --torch-threads 1
_base_ = ['./sgmim_vs_simmim.py']
title = 'SG-MIM vs SimMIM on SynthScenes, depth from 24 images (seeded study)'
_num_images = 24
_depth_iters = 800  # the first study's depth budget (its _depth_budget)
transfer = dict(
    _delete_=True,
    **{
        f'depth-{_num_images}img': dict(
            config='configs/synth/'
            'glpdepth_swin-nano-w3_1xb4-200it_synthscenes-nyu-96x96.py',
            metrics=dict(d1='higher', abs_rel='lower', rmse='lower'),
            cfg_options={
                'train_cfg.max_iters': _depth_iters,
                'train_cfg.val_interval': _depth_iters,
                'param_scheduler.0.rise_steps': _depth_iters * 12 // 25,
                'param_scheduler.0.fall_steps': _depth_iters * 12 // 25,
                'param_scheduler.0.end': _depth_iters,
                'default_hooks.checkpoint.interval': _depth_iters,
                'train_dataloader.dataset.indices': _num_images,
            })
    })

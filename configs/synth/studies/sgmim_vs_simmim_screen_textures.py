# Study file of tools/analysis_tools/synth_study.py: the data check of
# issue 8 (is the depth result of sgmim_vs_simmim.py a property of
# SynthScenes?). SynthScenes evaluates its albedo patterns on the surfaces,
# so a checker floor or a striped wall foreshortens and shrinks with
# distance: the texture alone tells depth, and an encoder trained from
# scratch on 96 images can read it. Here every pattern is fixed to the image
# instead (`texture_space='screen'`: as if drawn on a fronto-parallel plane
# 3 m away), so depth shows only through shading, shadows, occlusion and the
# outlines of the surfaces. The same encoders, pre-training and depth
# protocol as the first study, on a set generated that way (pre-training
# images included); the depth maps are the same as those of the first study.
#
#   python tools/analysis_tools/synth_study.py \
#       configs/synth/studies/sgmim_vs_simmim_screen_textures.py \
#       --work-dir work_dirs/study_screen \
#       --out docs/study_sgmim_screen_textures.md --torch-threads 1
_base_ = ['./sgmim_vs_simmim.py']
title = ('SG-MIM vs SimMIM on SynthScenes with screen-space textures '
         '(seeded study)')
# depth at the synth config's lr (the first study's first task) only
transfer = dict(
    _delete_=True, depth={{_base_.transfer.depth}})
data = dict(subsets='imagenet,nyu', texture_space='screen')
# two seeds more than the first study's three: its gaps are within the
# seed-to-seed spread of one encoder
seeds = [0, 1, 2, 3, 4]

# Added to configs that inherit a library's own runtime (mmpretrain::,
# mmseg::, mmdet::): register sgmim and restore RNG state on resume.
custom_imports = dict(imports=['sgmim'], allow_failed_imports=False)
custom_hooks = [dict(type='RandomStateHook')]

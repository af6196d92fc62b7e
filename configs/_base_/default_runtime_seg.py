# mmseg runtime (semantic segmentation and depth).
_base_ = 'mmseg::_base_/default_runtime.py'
custom_imports = dict(imports=['sgmim'], allow_failed_imports=False)
custom_hooks = [dict(type='RandomStateHook')]

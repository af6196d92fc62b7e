# mmdet runtime (detection and instance segmentation).
_base_ = 'mmdet::_base_/default_runtime.py'
custom_imports = dict(imports=['sgmim'], allow_failed_imports=False)
custom_hooks = [dict(type='RandomStateHook')]

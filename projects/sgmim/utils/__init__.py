from .checkpoint_loading import (CorruptCheckpointError, UnsafeCheckpointError,
                                 install_safe_checkpoint_loading,
                                 load_checkpoint_file)
from .config_package import config_dir, register_config_package

__all__ = [
    'CorruptCheckpointError', 'UnsafeCheckpointError',
    'install_safe_checkpoint_loading', 'load_checkpoint_file', 'config_dir',
    'register_config_package'
]

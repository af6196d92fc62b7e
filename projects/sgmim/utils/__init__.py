from .checkpoint_loading import (CorruptCheckpointError, UnsafeCheckpointError,
                                 install_safe_checkpoint_loading,
                                 load_checkpoint_file)
from .config_package import config_dir, register_config_package
from .empty_image_files import (EmptyImageFileError,
                                install_empty_image_file_errors)

__all__ = [
    'CorruptCheckpointError', 'EmptyImageFileError', 'UnsafeCheckpointError',
    'install_safe_checkpoint_loading', 'load_checkpoint_file', 'config_dir',
    'register_config_package', 'install_empty_image_file_errors'
]

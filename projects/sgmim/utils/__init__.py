from .checkpoint_loading import (CorruptCheckpointError, UnsafeCheckpointError,
                                 install_safe_checkpoint_loading,
                                 load_checkpoint_file)
from .config_package import config_dir, register_config_package
from .image_file_errors import (CorruptImageFileError, EmptyImageFileError,
                                ImageFileError, install_image_file_errors)

__all__ = [
    'CorruptCheckpointError', 'CorruptImageFileError', 'EmptyImageFileError',
    'ImageFileError', 'UnsafeCheckpointError',
    'install_safe_checkpoint_loading', 'load_checkpoint_file', 'config_dir',
    'register_config_package', 'install_image_file_errors'
]

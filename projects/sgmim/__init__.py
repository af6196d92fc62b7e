"""sgmim: masked-image-modeling methods as OpenMMLab components.

``import sgmim`` (configs: ``custom_imports=dict(imports=['sgmim'])``)
registers every component in the mmpretrain / mmseg / mmdet registries,
activates safe checkpoint loading for torch >= 2.6, makes the loading
transforms name an empty or corrupt image file, makes every mmengine
dataset reseed its augmentations per sample for the ``PerSampleSeed*``
samplers, and lets mmengine resolve ``_base_ = 'sgmim::...'`` config paths.
"""
from .utils import (install_image_file_errors, install_safe_checkpoint_loading,
                    register_config_package)
from .version import __version__

install_safe_checkpoint_loading()
install_image_file_errors()
register_config_package()

from . import datasets, engine, evaluation, models  # noqa: E402,F401  (registers components)

datasets.install_per_sample_seeding()

__all__ = ['__version__']

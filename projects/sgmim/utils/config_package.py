"""Make ``_base_ = 'sgmim::path/to/config.py'`` resolve in mmengine configs.

mmengine 0.10.7 resolves ``pkg::`` only for names in its fixed
``MODULE2PACKAGE`` table, then looks the package up through ``pkg_resources``,
which points at ``site-packages/<name>`` even for an editable install whose
code lives elsewhere. Registering ``sgmim`` here (this runs on ``import
sgmim``, before a config is parsed) adds the name and resolves the package
directory through the import system, which is right for regular and editable
installs alike. Configs are shipped under ``sgmim/.mim/configs``.
"""
import importlib.util
import os.path as osp

import mmengine.config.config as mmengine_config
from mmengine.config.utils import MODULE2PACKAGE

PACKAGE = 'sgmim'


def package_dir() -> str:
    """Directory of the imported ``sgmim`` package."""
    return osp.dirname(importlib.util.find_spec(PACKAGE).origin)


def config_dir() -> str:
    """Directory holding the shipped configs (``sgmim::`` resolves here)."""
    return osp.join(package_dir(), '.mim', 'configs')


def register_config_package() -> None:
    """Let mmengine resolve ``sgmim::`` config paths; idempotent."""
    MODULE2PACKAGE[PACKAGE] = PACKAGE
    original = mmengine_config.get_installed_path
    if getattr(original, '_sgmim_wrapped', False):
        return

    def get_installed_path(package: str) -> str:
        return package_dir() if package == PACKAGE else original(package)

    get_installed_path._sgmim_wrapped = True
    mmengine_config.get_installed_path = get_installed_path

"""Make ``_base_ = 'sgmim::path/to/config.py'`` resolve in mmengine configs.

mmengine 0.10.7 resolves ``pkg::`` only for names in its fixed
``MODULE2PACKAGE`` table, locates the package through ``pkg_resources`` (which
points at ``site-packages/<name>`` even for an editable install whose code
lives elsewhere), and tags every dict of such a base with ``_scope_=<pkg>``.
``sgmim`` is not a registry scope: an sgmim config is an mmpretrain, mmseg or
mmdet config, and its own ``default_scope`` says which. So on ``import sgmim``
(before any config is parsed) this module resolves ``sgmim::`` paths to the
configs shipped in the package (``sgmim/.mim/configs``) and leaves them
untagged, exactly as if the file were local to the inheriting config.
"""
import importlib.util
import os.path as osp

from mmengine.config import Config
from mmengine.config.utils import MODULE2PACKAGE
from mmengine.utils import check_file_exist

PACKAGE = 'sgmim'
PREFIX = PACKAGE + '::'


def package_dir() -> str:
    """Directory of the imported ``sgmim`` package."""
    return osp.dirname(importlib.util.find_spec(PACKAGE).origin)


def config_dir() -> str:
    """Directory holding the shipped configs (``sgmim::`` resolves here)."""
    return osp.join(package_dir(), '.mim', 'configs')


def resolve_config_path(cfg_path: str) -> str:
    """Absolute path of ``sgmim::relative/path.py``; the file must exist."""
    path = osp.join(config_dir(), cfg_path[len(PREFIX):])
    check_file_exist(path, f'{cfg_path}: no such config in sgmim ({path})')
    return path


def register_config_package() -> None:
    """Let mmengine resolve ``sgmim::`` config paths; idempotent."""
    MODULE2PACKAGE[PACKAGE] = PACKAGE
    original = Config._get_cfg_path
    if getattr(original, '_sgmim_wrapped', False):
        return

    def _get_cfg_path(cfg_path: str, filename: str):
        if cfg_path.startswith(PREFIX):
            return resolve_config_path(cfg_path), None
        return original(cfg_path, filename)

    _get_cfg_path._sgmim_wrapped = True
    Config._get_cfg_path = staticmethod(_get_cfg_path)

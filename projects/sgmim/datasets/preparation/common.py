"""Helpers shared by the dataset preparation modules."""
import os
import os.path as osp
import shutil
from typing import Iterable, Sequence


def require_paths(paths: Iterable[str], what: str = 'input') -> None:
    """Raise ``FileNotFoundError`` naming every path of ``paths`` missing."""
    missing = [p for p in paths if not osp.exists(p)]
    if missing:
        raise FileNotFoundError(f'{what} not found: ' + ', '.join(missing))


def raise_missing(paths: Sequence[str], what: str, limit: int = 5) -> None:
    """Raise ``FileNotFoundError`` listing the first ``limit`` of ``paths``."""
    if paths:
        shown = ', '.join(paths[:limit])
        more = (f' (and {len(paths) - limit} more)'
                if len(paths) > limit else '')
        raise FileNotFoundError(
            f'{len(paths)} {what} not found: {shown}{more}')


def place_file(src: str, dst: str, copy: bool = False) -> None:
    """Symlink (absolute target) or copy ``src`` to ``dst``, replacing an
    existing ``dst``; parent folders are created."""
    os.makedirs(osp.dirname(dst), exist_ok=True)
    if osp.lexists(dst):
        os.remove(dst)
    if copy:
        shutil.copy2(src, dst)
    else:
        os.symlink(osp.abspath(src), dst)

"""Helpers shared by the dataset preparation modules."""
import os
import os.path as osp
import shutil
from typing import Iterable, Sequence

from ..synthscenes.files import atomic_write_bytes


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
    existing ``dst`` atomically (through a temporary sibling); parent folders
    are created. Nothing is done where ``dst`` already is ``src`` (in place,
    or linked by an earlier run; a link is still replaced by a copy)."""
    if osp.abspath(src) == osp.abspath(dst) or (
            osp.exists(dst) and osp.samefile(src, dst)
            and not (copy and osp.islink(dst))):
        return
    folder = osp.dirname(dst) or '.'
    os.makedirs(folder, exist_ok=True)
    tmp = osp.join(folder, f'.{osp.basename(dst)}.{os.getpid()}.tmp')
    try:
        if copy:
            shutil.copy2(src, tmp)
        else:
            os.symlink(osp.abspath(src), tmp)
        os.replace(tmp, dst)
    finally:
        if osp.lexists(tmp):
            os.remove(tmp)


def write_lines_atomic(path: str, lines: Iterable[str]) -> None:
    """Write ``lines`` (one a line, newline-terminated) to ``path`` through
    a temporary sibling and ``os.replace``."""
    atomic_write_bytes(path, ''.join(line + '\n' for line in lines).encode())

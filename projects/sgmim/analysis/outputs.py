"""Atomic outputs of the analysis tools.

Every file is written to a temporary name in its destination folder and
moved into place with ``os.replace`` (atomic on one file system), so a
reader never sees half a file. :class:`OutputDir` goes further for a whole
run: files are staged in a hidden folder next to the output folder and only
moved in when the run's ``with`` block ends without an error, so a failed run
leaves no ``<measure>.json`` or figure behind (nor its staging folder).
"""
import json
import math
import os
import os.path as osp
import shutil
import tempfile
from typing import Any

import numpy as np
import torch


def to_jsonable(value: Any) -> Any:
    """``value`` with tensors and NumPy values turned into lists and numbers
    (non-finite floats become None: JSON has no NaN)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().tolist()
    elif isinstance(value, np.ndarray):
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _temporary(path: str, suffix: str) -> str:
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.',
                                    suffix=suffix, dir=folder)
    os.close(handle)
    return temp


def _replace_or_remove(write, path: str, suffix: str) -> None:
    temp = _temporary(path, suffix)
    try:
        write(temp)
        os.replace(temp, path)
    except BaseException:
        if osp.exists(temp):
            os.remove(temp)
        raise


def write_json_atomic(path: str, obj: Any) -> None:
    """Write ``obj`` (tensors allowed, see :func:`to_jsonable`) as indented
    JSON to ``path`` through a temporary file and ``os.replace``."""
    text = json.dumps(to_jsonable(obj), indent=2, allow_nan=False)

    def write(temp):
        with open(temp, 'w') as file:
            file.write(text + '\n')

    _replace_or_remove(write, path, '.json')


def save_figure_atomic(fig, path: str, dpi: int = 150) -> None:
    """Save the matplotlib ``fig`` to ``path`` (format from its extension)
    through a temporary file and ``os.replace``; the figure is closed."""
    import matplotlib.pyplot as plt
    fmt = osp.splitext(path)[1].lstrip('.') or 'png'
    try:
        _replace_or_remove(
            lambda temp: fig.savefig(temp, format=fmt, dpi=dpi,
                                     bbox_inches='tight'), path, f'.{fmt}')
    finally:
        plt.close(fig)


class OutputDir:
    """All-or-nothing output folder of one run.

    Example::

        with OutputDir('work_dirs/cka') as out:
            out.write_json('cka.json', records)
            out.save_figure('cka.png', fig)
        # both files are in work_dirs/cka now; after an error, neither.

    Files written inside the block go to a staging folder beside
    ``out_dir``; on a clean exit each is moved into ``out_dir`` with
    ``os.replace`` (replacing files of an earlier run of the same names),
    and the staging folder is removed in every case.

    Args:
        out_dir (str): The output folder (created on success).
    """

    def __init__(self, out_dir: str) -> None:
        self.out_dir = osp.abspath(out_dir)
        self.staging = None
        self.names = []

    def __enter__(self) -> 'OutputDir':
        parent = osp.dirname(self.out_dir)
        os.makedirs(parent, exist_ok=True)
        self.staging = tempfile.mkdtemp(
            prefix=f'.{osp.basename(self.out_dir)}.staging-', dir=parent)
        return self

    def path(self, name: str) -> str:
        """Where to stage the file ``name`` (no sub-folders)."""
        if osp.basename(name) != name or name in ('', '.', '..'):
            raise ValueError(f'output name must be a plain file name, got '
                             f'{name!r}')
        if self.staging is None:
            raise RuntimeError('OutputDir is used outside its with block')
        if name not in self.names:
            self.names.append(name)
        return osp.join(self.staging, name)

    def write_json(self, name: str, obj: Any) -> None:
        """Stage ``obj`` as JSON file ``name``."""
        write_json_atomic(self.path(name), obj)

    def save_figure(self, name: str, fig, dpi: int = 150) -> None:
        """Stage the figure as ``name`` (e.g. 'cka.png')."""
        save_figure_atomic(fig, self.path(name), dpi)

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                os.makedirs(self.out_dir, exist_ok=True)
                for name in self.names:
                    os.replace(osp.join(self.staging, name),
                               osp.join(self.out_dir, name))
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None

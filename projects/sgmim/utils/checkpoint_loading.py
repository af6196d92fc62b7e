"""Safe checkpoint loading for mmengine on torch >= 2.6.

torch >= 2.6 unpickles with ``weights_only=True`` by default. mmengine 0.10.7
checkpoints then fail to load: the message hub stores ``HistoryBuffer`` objects
(whose ``__getstate__`` pickles its statistics *methods*, i.e. a call to
``builtins.getattr``) and NumPy arrays/scalars. Instead of switching
``weights_only`` off (which lets a checkpoint run arbitrary code), this module

* makes ``HistoryBuffer`` pickle only its data (the statistics methods are
  class-level and re-registered on import),
* allow-lists the few data-only types an mmengine checkpoint holds,
* replaces mmengine's local-file checkpoint scheme with one that reports a
  refused payload, a truncated or corrupt file, or a missing file with an error
  that names the file.

Trusted legacy checkpoints that still need the unsafe path can be loaded with
``SGMIM_ALLOW_UNSAFE_CHECKPOINTS=1``; a warning is issued for every such load.
"""
import os
import os.path as osp
import pickle
import warnings

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

UNSAFE_ENV = 'SGMIM_ALLOW_UNSAFE_CHECKPOINTS'


class UnsafeCheckpointError(RuntimeError):
    """A checkpoint holds a pickled object outside the allow-list."""


class CorruptCheckpointError(RuntimeError):
    """A checkpoint file is truncated or not a torch checkpoint."""


def _history_buffer_getstate(self) -> dict:
    """Pickle the buffer's data only (not ``_statistics_methods``)."""
    state = dict(self.__dict__)
    state.pop('statistics_methods', None)
    return state


def _numpy_core():
    """``numpy._core`` on NumPy 2, ``numpy.core`` on NumPy 1."""
    return getattr(np, '_core', None) or np.core


def safe_checkpoint_globals() -> list:
    """The data-only types an mmengine Runner checkpoint contains.

    Each entry is an object or ``(object, qualified name)`` so that checkpoints
    written under NumPy 1 (``numpy.core``) and NumPy 2 (``numpy._core``) both
    resolve.
    """
    multiarray = _numpy_core().multiarray
    dtype_classes = [
        type(np.dtype(name))
        for name in ('float64', 'float32', 'int64', 'int32', 'bool')
    ]
    entries = [HistoryBuffer, np.ndarray, np.dtype, *dtype_classes]
    for func in (multiarray._reconstruct, multiarray.scalar):
        for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
            entries.append((func, f'{module}.{func.__name__}'))
    return entries


def _unsafe_loading_allowed() -> bool:
    return os.environ.get(UNSAFE_ENV, '0').lower() in ('1', 'true', 'yes')


def load_checkpoint_file(filename: str, map_location=None):
    """Load a local checkpoint with the restricted (``weights_only``) unpickler.

    Args:
        filename (str): Path of the checkpoint file.
        map_location: Same as :func:`torch.load`.

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        UnsafeCheckpointError: the file holds an object outside the allow-list
            (for instance a payload that would call a function on load).
        CorruptCheckpointError: the file is truncated or not a checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file not found: {filename}')
    if _unsafe_loading_allowed():
        warnings.warn(f'{UNSAFE_ENV} is set: loading {filename} with the '
                      'unrestricted unpickler, which can run arbitrary code. '
                      'Only do this for files you trust.')
        return torch.load(filename, map_location=map_location,
                          weights_only=False)
    try:
        return torch.load(filename, map_location=map_location,
                          weights_only=True)
    except pickle.UnpicklingError as err:
        if 'Weights only load failed' in str(err):
            raise UnsafeCheckpointError(
                f'refused to load checkpoint {filename}: it contains a pickled '
                'object outside the allow-list of data types (see '
                f'sgmim.utils.checkpoint_loading). If you trust this file, set '
                f'{UNSAFE_ENV}=1. Details: {_first_line(err)}') from err
        raise CorruptCheckpointError(
            f'checkpoint {filename} is corrupt: {err}') from err
    except (RuntimeError, EOFError, ValueError) as err:
        raise CorruptCheckpointError(
            f'checkpoint {filename} is truncated or not a torch checkpoint '
            f'({osp.getsize(filename)} bytes): {_first_line(err)}') from err


def _first_line(err: Exception) -> str:
    lines = [line for line in str(err).splitlines() if line.strip()]
    unsupported = [line for line in lines if 'Unsupported global' in line]
    return (unsupported or lines or [type(err).__name__])[0].strip()


def install_safe_checkpoint_loading() -> None:
    """Activate the safe loader; idempotent."""
    HistoryBuffer.__getstate__ = _history_buffer_getstate
    torch.serialization.add_safe_globals(safe_checkpoint_globals())
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_checkpoint_file, force=True)

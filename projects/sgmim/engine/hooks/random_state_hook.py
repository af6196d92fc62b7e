"""Save and restore the global random number generators with checkpoints."""
import random

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Store the Python, NumPy and torch (CPU and CUDA) generator states in
    every checkpoint and restore them when training resumes.

    mmengine restores the model, optimizer, schedulers and message hub on
    ``--resume`` but not the global generators, so random augmentations and
    masks drawn in the main process (``num_workers=0``), dropout and drop-path
    differ from an uninterrupted run. With this hook an epoch-based run resumed
    from a checkpoint produces the same subsequent losses. Worker processes
    seed themselves (mmengine's ``worker_init_fn``) and are not covered.
    """

    priority = 'VERY_LOW'
    KEY = 'random_state'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = dict(
            python=random.getstate(),
            numpy=_numpy_state_as_tensors(),
            torch=torch.get_rng_state())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        checkpoint[self.KEY] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get(self.KEY)
        if state is None or not runner._resume:
            return
        random.setstate(_as_python_state(state['python']))
        np.random.set_state(_numpy_state_from_tensors(state['numpy']))
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])


def _numpy_state_as_tensors() -> dict:
    """NumPy's MT19937 state as tensors (loadable with ``weights_only``)."""
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    return dict(
        name=name, keys=torch.from_numpy(keys.astype(np.int64)), pos=pos,
        has_gauss=has_gauss, gauss=gauss)


def _numpy_state_from_tensors(state: dict) -> tuple:
    keys = state['keys'].numpy().astype(np.uint32)
    return (state['name'], keys, state['pos'], state['has_gauss'],
            state['gauss'])


def _as_python_state(state) -> tuple:
    """``random.getstate()`` round-trips through lists when unpickled."""
    version, internal, gauss = state
    return version, tuple(internal), gauss

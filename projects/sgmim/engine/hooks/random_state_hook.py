"""Save and restore the global random number generators and the training
sampler's seed with checkpoints."""
import random

import numpy as np
import torch
from mmengine.dataset import InfiniteSampler
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from torch.utils.data import DataLoader


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Store the Python, NumPy and torch (CPU and CUDA) generator states and
    the training sampler's seed in every checkpoint; restore them when
    training resumes.

    What mmengine 0.10.7 leaves out on ``--resume`` (it restores the model,
    optimizer, schedulers and message hub):

    * the global generators: dropout, drop path and whatever else draws in
      the main process would differ from an uninterrupted run;
    * the seed of the training sampler, built before the checkpoint is read:
      with ``randomness=dict(seed=None)`` the resumed run would shuffle (and,
      with the ``PerSampleSeed*`` samplers, augment) with a new seed;
    * a DataLoader draws its workers' base seed from torch's global
      generator once per iterator it creates, and with persistent workers a
      resumed run creates one more than the uninterrupted run: this hook
      gives the training DataLoader a generator of its own
      (``_private_loader_generator``).

    The states are put back in ``before_train``, after mmengine's own
    re-seeding from the checkpoint's seed (which would override them). A
    restored sampler seed that differs from the built one also restarts an
    iteration-based loop's data iterator, started with the old seed.

    Augmentations in dataloader workers are not covered here: the
    ``PerSampleSeed*`` samplers make them a function of (seed, epoch,
    sample index).
    """

    priority = 'VERY_LOW'
    KEY = 'random_state'

    def __init__(self) -> None:
        self._resumed_state = None

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = dict(
            python=random.getstate(),
            numpy=_numpy_state_as_tensors(),
            torch=torch.get_rng_state())
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state['cuda'] = torch.cuda.get_rng_state_all()
        sampler = _train_sampler(runner)
        if sampler is not None:
            state['sampler_seed'] = sampler.seed
        checkpoint[self.KEY] = state

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = checkpoint.get(self.KEY)
        if state is not None and runner._resume:
            self._resumed_state = state

    def before_train(self, runner) -> None:
        _private_loader_generator(runner)
        state, self._resumed_state = self._resumed_state, None
        if state is None:
            return
        random.setstate(_as_python_state(state['python']))
        np.random.set_state(_numpy_state_from_tensors(state['numpy']))
        torch.set_rng_state(state['torch'])
        if 'cuda' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda'])
        if state.get('sampler_seed') is not None:
            _restore_sampler_seed(runner, int(state['sampler_seed']))


def _train_sampler(runner):
    """The training dataloader's sampler that has an integer ``seed``
    (``sampler``, else ``batch_sampler.sampler``), or None."""
    loop = getattr(runner, '_train_loop', None)
    dataloader = getattr(loop, 'dataloader', None)
    batch_sampler = getattr(dataloader, 'batch_sampler', None)
    for sampler in (getattr(dataloader, 'sampler', None),
                    getattr(batch_sampler, 'sampler', None)):
        if isinstance(getattr(sampler, 'seed', None), int):
            return sampler
    return None


def _private_loader_generator(runner) -> None:
    """Let the training DataLoader draw its workers' base seed from a
    generator of its own (seeded with the run's seed) instead of torch's
    global one. It draws once per iterator it creates: persistent workers
    create one per run, so a resumed run would draw once more from the
    global generator than the uninterrupted run and shift the model's
    draws (drop path) after the restored state."""
    loop = getattr(runner, '_train_loop', None)
    dataloader = getattr(loop, 'dataloader', None)
    if isinstance(dataloader, DataLoader) and dataloader.generator is None:
        generator = torch.Generator()
        generator.manual_seed(runner.seed % 2**64)
        dataloader.generator = generator


def _restore_sampler_seed(runner, seed: int) -> None:
    sampler = _train_sampler(runner)
    if sampler is None or sampler.seed == seed:
        return
    sampler.seed = seed
    if isinstance(sampler, InfiniteSampler):  # its stream is made in __init__
        sampler.indices = sampler._indices_of_rank()
    loop = runner.train_loop
    iterator = getattr(loop, 'dataloader_iterator', None)
    if iterator is not None:  # iteration-based: started in the loop's __init__
        loop.dataloader_iterator = type(iterator)(loop.dataloader)
    runner.logger.info(f'RandomStateHook: restored the training sampler\'s '
                       f'seed {seed} from the checkpoint')


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

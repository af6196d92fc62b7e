"""Per-sample random draws: a dataset index that names its draw, and the
random state that ``(seed, epoch, index)`` gives.

The augmentations of a pipeline (crops, flips, SimMIM / SG-MIM masks,
photometric jitter) draw from the process-global generators: Python's
``random``, NumPy's ``np.random`` and torch's default CPU generator. mmengine
seeds each dataloader worker once (``worker_init_fn``), so what a sample gets
depends on which worker loads it and on what that worker drew before: on
``num_workers``, on ``persistent_workers``, and on whether the workers were
restarted (as after ``--resume``).

:func:`sample_random_state` instead sets the three generators from a hash of
``(seed, epoch, index)`` for the duration of one sample, and hands the
caller's states back afterwards. A :class:`SampleIndex` is an ``int`` index
that carries its ``seed`` and ``epoch`` from the sampler (main process) to
the dataset (worker process); the datasets reseed when they receive one
(:mod:`.per_sample_seeding`).
"""
import operator
import random
from contextlib import contextmanager
from typing import Iterator, Tuple

import numpy as np
import torch

__all__ = ['SampleIndex', 'sample_seeds', 'sample_random_state']

_UINT64 = 2**64


def sample_seeds(seed: int, epoch: int,
                 index: int) -> Tuple[int, np.ndarray, int]:
    """The seeds of one sample's draws: a hash of ``(seed, epoch, index)``.

    Each of the three integers is taken modulo 2**64 and written as two
    32-bit words; NumPy's ``SeedSequence`` mixes the six words and gives ten
    independent words: four seed NumPy's Mersenne Twister, four Python's
    (a 128-bit integer), two torch's generator (64 bits).

    Args:
        seed (int): The run's seed (the sampler's, the same on every rank).
        epoch (int): The epoch, or the pass over the data of an infinite
            sampler.
        index (int): The sample's index in the dataset.

    Returns:
        tuple: ``(python_seed, numpy_seed, torch_seed)``: an int, a uint32
        array of 4 words, an int in [0, 2**64).
    """
    words = []
    for value in (seed, epoch, index):
        value = operator.index(value) % _UINT64
        words += [value >> 32, value & 0xFFFFFFFF]
    state = np.random.SeedSequence(np.array(words, dtype=np.uint32))
    out = state.generate_state(10, dtype=np.uint32)
    python_seed = int.from_bytes(out[4:8].tobytes(), 'little')
    torch_seed = int.from_bytes(out[8:10].tobytes(), 'little')
    return python_seed, out[:4], torch_seed


@contextmanager
def sample_random_state(seed: int, epoch: int, index: int) -> Iterator[None]:
    """Within the block, Python's ``random``, ``np.random`` and torch's
    default CPU generator are seeded from :func:`sample_seeds`; on exit
    they are back in the state they had on entry.

    Restoring matters with ``num_workers=0``: the pipeline then runs in the
    main process, whose generators also drive the model (drop path, dropout)
    and are saved with checkpoints. CUDA generators are not touched.

    Example:
        >>> with sample_random_state(0, 1, 7):
        ...     a = np.random.rand()
        >>> with sample_random_state(0, 1, 7):
        ...     b = np.random.rand()
        >>> a == b
        True
    """
    python_seed, numpy_seed, torch_seed = sample_seeds(seed, epoch, index)
    saved = (random.getstate(), np.random.get_state(),
             torch.default_generator.get_state())
    random.seed(python_seed)
    np.random.seed(numpy_seed)
    torch.default_generator.manual_seed(torch_seed)
    try:
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.default_generator.set_state(saved[2])


class SampleIndex(int):
    """A dataset index (an ``int``) that also names the ``seed`` and the
    ``epoch`` of its draw.

    It behaves as its integer everywhere (arithmetic, comparison, indexing,
    hashing, formatting); arithmetic gives plain ints. It pickles with its
    tags, so it reaches the dataloader workers unchanged.

    Args:
        index (int): The index in the dataset.
        seed (int): The run's seed.
        epoch (int): The epoch (or pass) the index is drawn in.
    """

    def __new__(cls, index: int, seed: int, epoch: int) -> 'SampleIndex':
        self = super().__new__(cls, operator.index(index))
        self.seed = operator.index(seed)
        self.epoch = operator.index(epoch)
        return self

    def __reduce__(self):
        return SampleIndex, (int(self), self.seed, self.epoch)

    def random_state(self):
        """:func:`sample_random_state` for this sample."""
        return sample_random_state(self.seed, self.epoch, int(self))

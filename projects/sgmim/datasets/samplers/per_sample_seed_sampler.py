"""mmengine's samplers with indices that carry ``(seed, epoch)``, so that
every sample's augmentations are a function of ``(seed, epoch, index)``."""
import logging
from typing import Iterator, Optional, Sized

from mmengine.dataset import DefaultSampler, InfiniteSampler
from mmengine.logging import print_log
from mmengine.registry import DATA_SAMPLERS

from .per_sample_seeding import seeds_per_sample
from .sample_index import SampleIndex

__all__ = ['PerSampleSeedSampler', 'PerSampleSeedInfiniteSampler']


def _warn_unless_seeded(sampler, dataset) -> None:
    if not seeds_per_sample(dataset):
        print_log(
            f'{type(sampler).__name__}: {type(dataset).__name__}.__getitem__ '
            'does not reseed per sample (it overrides mmengine\'s); its '
            'augmentations follow the dataloader workers\' generators, and a '
            'resumed run does not reproduce them.',
            logger='current', level=logging.WARNING)


@DATA_SAMPLERS.register_module()
class PerSampleSeedSampler(DefaultSampler):
    """mmengine's ``DefaultSampler`` whose indices name their draw.

    The same indices in the same order on every rank as ``DefaultSampler``
    (shuffled with ``seed + epoch``, sharded by rank, ``round_up``), each a
    :class:`SampleIndex` tagged with the sampler's ``seed`` and the epoch
    last given to ``set_epoch`` (``DistSamplerSeedHook`` does every epoch; an
    iteration-based loop at each restart of the data). The dataset loads
    sample ``i`` of epoch ``e`` with Python's, NumPy's and torch's generators
    seeded from ``(seed, e, i)``, so crops, flips and masks do not depend on
    ``num_workers``, on which worker loads the sample, on
    ``persistent_workers`` or on a restart of the workers (``--resume``).

    ``seed`` is the runner's (``randomness=dict(seed=...)``) or, with
    ``diff_rank_seed=True``, one drawn on rank 0 and shared: the same on
    every rank, so a sample's draws do not depend on the rank that loads it.
    The draws of the at most ``world_size - 1`` indices that ``round_up``
    repeats within an epoch equal those of their first occurrence.

    Args:
        dataset (Sized): The dataset.
        shuffle (bool): Whether to shuffle. Defaults to True.
        seed (int, optional): The seed of the order and of the draws; None
            draws one (the same on every rank). Defaults to None.
        round_up (bool): Whether to repeat indices so that every rank gets
            as many. Defaults to True.

    """

    def __init__(self,
                 dataset: Sized,
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 round_up: bool = True) -> None:
        super().__init__(dataset, shuffle=shuffle, seed=seed,
                         round_up=round_up)
        _warn_unless_seeded(self, dataset)

    def __iter__(self) -> Iterator[SampleIndex]:
        seed, epoch = self.seed, self.epoch
        indices = super().__iter__()
        return (SampleIndex(index, seed, epoch) for index in indices)


@DATA_SAMPLERS.register_module()
class PerSampleSeedInfiniteSampler(InfiniteSampler):
    """mmengine's ``InfiniteSampler`` (iteration-based loops) whose indices
    name their draw.

    The same endless stream on every rank as ``InfiniteSampler`` (one
    permutation per pass, drawn from a generator seeded once with ``seed``,
    sharded by rank), each index a :class:`SampleIndex` tagged with ``seed``
    and its pass over the data (0, 1, ...) as the epoch: sample ``i`` of pass
    ``p`` is loaded with the generators seeded from ``(seed, p, i)``
    (see :class:`PerSampleSeedSampler`).

    Args:
        dataset (Sized): The dataset.
        shuffle (bool): Whether to shuffle. Defaults to True.
        seed (int, optional): The seed of the order and of the draws; None
            draws one (the same on every rank). Defaults to None.
    """

    def __init__(self,
                 dataset: Sized,
                 shuffle: bool = True,
                 seed: Optional[int] = None) -> None:
        super().__init__(dataset, shuffle=shuffle, seed=seed)
        _warn_unless_seeded(self, dataset)

    def _infinite_indices(self) -> Iterator[SampleIndex]:
        seed = self.seed
        for position, index in enumerate(super()._infinite_indices()):
            yield SampleIndex(index, seed, position // self.size)

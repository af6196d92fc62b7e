"""Datasets reseed the global generators for every :class:`SampleIndex`.

:func:`install_per_sample_seeding` (run by ``import sgmim``) wraps the
``__getitem__`` of mmengine's ``BaseDataset`` -- and so of every
mmpretrain / mmseg / mmdet dataset and of ours -- and of mmengine's dataset
wrappers (``ConcatDataset``, ``RepeatDataset``, ``ClassBalancedDataset``, the
runner's ``num_batch_per_epoch`` slice). Given a :class:`SampleIndex`, the
wrapped method loads the sample inside :meth:`SampleIndex.random_state`,
refetches of a broken sample (``BaseDataset._rand_another``) included, and
passes the plain integer on (a wrapper's inner dataset then sees an ``int``
and does not reseed again). Given a plain ``int`` it is mmengine's method,
unchanged: only the ``PerSampleSeed*`` samplers yield tagged indices.

A dataset class that overrides ``__getitem__`` without these (e.g. mmdet's
``MultiImageMixDataset``) does not reseed; :func:`seeds_per_sample` tells.
"""
import functools

from mmengine.dataset import (BaseDataset, ClassBalancedDataset,
                              ConcatDataset, RepeatDataset)

from .sample_index import SampleIndex

__all__ = ['install_per_sample_seeding', 'seeds_per_sample',
           'seed_per_sample']


def _dataset_classes() -> tuple:
    classes = [BaseDataset, ConcatDataset, RepeatDataset, ClassBalancedDataset]
    try:  # the runner's slice for ``num_batch_per_epoch`` (private)
        from mmengine.runner.runner import _SlicedDataset
        classes.append(_SlicedDataset)
    except ImportError:
        pass
    return tuple(classes)


def seed_per_sample(getitem):
    """``getitem`` that runs inside the sample's random state when given a
    :class:`SampleIndex` (and receives the plain index)."""

    @functools.wraps(getitem)
    def __getitem__(self, idx):
        if isinstance(idx, SampleIndex):
            with idx.random_state():
                return getitem(self, int(idx))
        return getitem(self, idx)

    __getitem__.seeds_per_sample = True
    return __getitem__


def seeds_per_sample(dataset) -> bool:
    """Whether ``dataset[SampleIndex(...)]`` reseeds per sample."""
    return getattr(type(dataset).__getitem__, 'seeds_per_sample', False)


def install_per_sample_seeding() -> None:
    """Wrap ``__getitem__`` of mmengine's dataset classes; idempotent."""
    for cls in _dataset_classes():
        if not getattr(cls.__getitem__, 'seeds_per_sample', False):
            cls.__getitem__ = seed_per_sample(cls.__getitem__)

"""Per-sample seeding: the PerSampleSeed* samplers keep mmengine's order and
sharding, and what a sample's augmentations draw is a function of (seed,
epoch, index) -- the same with 0, 1 or 2 workers, persistent or restarted --
and differs across epochs and across indices."""
import itertools
import pickle
import random

import numpy as np
import pytest
import torch
from mmengine.dataset import BaseDataset, DefaultSampler, InfiniteSampler
from mmengine.logging import MMLogger
from mmengine.runner import Runner
from mmpretrain.datasets.transforms import SimMIMMaskGenerator

import sgmim  # noqa: F401  (installs the per-sample seeding)
from sgmim.datasets import (PerSampleSeedInfiniteSampler, PerSampleSeedSampler,
                            SampleIndex, sample_random_state, sample_seeds,
                            seeds_per_sample)

SIZE = 6


def record_draws(results):
    """A pipeline step that keeps what each generator gives (and a mask)."""
    return dict(
        index=results['sample_idx'],
        mask=results['mask'].tobytes(),
        python=random.random(),
        numpy=float(np.random.rand()),
        torch=float(torch.rand(())))


class TinyDataset(BaseDataset):

    def load_data_list(self):
        return [dict(value=i) for i in range(SIZE)]


def dataset():
    mask = SimMIMMaskGenerator(input_size=32, mask_patch_size=8,
                               model_patch_size=4, mask_ratio=0.5)
    return TinyDataset(pipeline=[mask, record_draws], serialize_data=False)


def loader(sampler_type, num_workers, persistent=False, seed=0):
    return Runner.build_dataloader(
        dict(dataset=dataset(), sampler=dict(type=sampler_type, shuffle=True),
             batch_size=2, num_workers=num_workers,
             persistent_workers=persistent, collate_fn=list),
        seed=seed)


def epochs(data, first, last):
    """{(epoch, index): draws} of epochs first..last of one dataloader."""
    out = {}
    for epoch in range(first, last + 1):
        data.sampler.set_epoch(epoch)
        for batch in data:
            for sample in batch:
                out[epoch, sample.pop('index')] = sample
    return out


def test_a_sample_draws_from_its_own_state_and_hands_back_the_caller_s():
    data = dataset()
    before = (random.getstate(), np.random.get_state()[1].copy(),
              torch.get_rng_state())
    first = data[SampleIndex(3, seed=0, epoch=1)]
    assert random.getstate() == before[0]
    assert np.array_equal(np.random.get_state()[1], before[1])
    assert torch.equal(torch.get_rng_state(), before[2])
    np.random.rand(), random.random(), torch.rand(())  # other history
    assert data[SampleIndex(3, seed=0, epoch=1)] == first
    assert first['index'] == 3 and type(first['index']) is int
    assert data[SampleIndex(3, seed=0, epoch=2)] != first
    assert data[3] != data[3]  # a plain index: mmengine's, unseeded


def test_draws_follow_seed_epoch_and_index_not_the_workers():
    in_process = epochs(loader('PerSampleSeedSampler', 0), 0, 1)
    assert sorted(in_process) == [(e, i) for e in (0, 1) for i in range(SIZE)]

    for workers, persistent in [(2, True), (2, False), (1, True)]:
        assert epochs(loader('PerSampleSeedSampler', workers, persistent),
                      0, 1) == in_process, (workers, persistent)
    # fresh workers at epoch 1, as after --resume
    restarted = epochs(loader('PerSampleSeedSampler', 2, True), 1, 1)
    assert restarted == {k: v for k, v in in_process.items() if k[0] == 1}

    for key in ('mask', 'python', 'numpy', 'torch'):
        for epoch in (0, 1):  # across indices
            values = [in_process[epoch, i][key] for i in range(SIZE)]
            assert len(set(values)) == SIZE, (key, epoch)
        for i in range(SIZE):  # across epochs
            assert in_process[0, i][key] != in_process[1, i][key], (key, i)
    other_seed = epochs(loader('PerSampleSeedSampler', 0, seed=1), 0, 0)
    assert all(other_seed[0, i] != in_process[0, i] for i in range(SIZE))


def test_mmengine_workers_alone_depend_on_the_workers():
    """What the samplers fix: DefaultSampler's draws change with them."""
    plain = epochs(loader('DefaultSampler', 0), 0, 0)
    assert epochs(loader('DefaultSampler', 2, True), 0, 0) != plain


def test_infinite_sampler_tags_passes_and_draws_alike():
    def stream(workers, batches=9):  # 18 samples: 3 passes
        data = loader('PerSampleSeedInfiniteSampler', workers, workers > 0)
        samples = [s for batch in itertools.islice(data, batches)
                   for s in batch]
        return [(pass_, s.pop('index'), s) for pass_, s in zip(
            (p // SIZE for p in itertools.count()), samples)]

    in_process = stream(0)
    assert stream(2) == in_process
    first = {i: s for p, i, s in in_process if p == 0}
    second = {i: s for p, i, s in in_process if p == 1}
    assert sorted(first) == sorted(second) == list(range(SIZE))
    assert all(first[i]['mask'] != second[i]['mask'] for i in range(SIZE))


@pytest.mark.parametrize('rank,world_size', [(0, 1), (1, 3), (2, 4)])
@pytest.mark.parametrize('round_up', [True, False])
def test_same_order_and_shards_as_default_sampler(monkeypatch, rank,
                                                  world_size, round_up):
    monkeypatch.setattr('mmengine.dataset.sampler.get_dist_info',
                        lambda: (rank, world_size))
    data = list(range(10))
    ours = PerSampleSeedSampler(data, seed=3, round_up=round_up)
    theirs = DefaultSampler(data, seed=3, round_up=round_up)
    for epoch in (0, 5):
        ours.set_epoch(epoch)
        theirs.set_epoch(epoch)
        indices = list(ours)
        assert indices == list(theirs)
        assert len(ours) == len(theirs)
        assert all(isinstance(i, SampleIndex) and i.seed == 3
                   and i.epoch == epoch for i in indices)


@pytest.mark.parametrize('rank,world_size', [(0, 1), (1, 3)])
def test_same_stream_as_infinite_sampler(monkeypatch, rank, world_size):
    monkeypatch.setattr('mmengine.dataset.sampler.get_dist_info',
                        lambda: (rank, world_size))
    data = list(range(5))
    ours = list(itertools.islice(
        PerSampleSeedInfiniteSampler(data, seed=7), 20))
    theirs = list(itertools.islice(InfiniteSampler(data, seed=7), 20))
    assert ours == theirs
    # the k-th index of this rank is at position rank + k * world_size
    assert [i.epoch for i in ours] == [
        (rank + k * world_size) // len(data) for k in range(20)]


def test_sample_index_is_its_int_and_pickles_with_its_tags():
    index = SampleIndex(4, seed=2**40, epoch=3)
    assert index == 4 and hash(index) == hash(4) and f'{index}' == '4'
    assert [10, 11, 12, 13, 14][index] == 14 and type(index + 1) is int
    copy = pickle.loads(pickle.dumps(index))
    assert (type(copy), int(copy), copy.seed, copy.epoch) == (
        SampleIndex, 4, 2**40, 3)


def test_seeds_are_a_hash_of_all_three_numbers():
    seeds = {(s, e, i): sample_seeds(s, e, i)
             for s, e, i in itertools.product((0, 1, 2**33), (0, 1), (0, 1))}
    pythons = {v[0] for v in seeds.values()}
    numpys = {v[1].tobytes() for v in seeds.values()}
    torches = {v[2] for v in seeds.values()}
    assert len(pythons) == len(numpys) == len(torches) == len(seeds)
    assert sample_seeds(5, 1, 2)[0] == sample_seeds(5, 1, 2)[0]

    with sample_random_state(5, 1, 2):
        first = (random.random(), np.random.rand(), torch.rand(()))
    with sample_random_state(5, 1, 2):
        again = (random.random(), np.random.rand(), torch.rand(()))
    assert first == again


def test_a_dataset_that_does_not_reseed_is_reported(capsys):
    assert seeds_per_sample(dataset())

    class Listed(torch.utils.data.Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, idx):
            return idx

    assert not seeds_per_sample(Listed())
    MMLogger.get_instance('per_sample_seed_test')  # a current logger
    PerSampleSeedSampler(Listed(), seed=0)
    out = capsys.readouterr()
    assert 'Listed.__getitem__ does not reseed' in out.out + out.err

"""RandomStateHook on resume: the generators and the training sampler's seed
come back in before_train (after mmengine's own re-seeding), and an
infinite sampler's stream restarts with the restored seed."""
import itertools
import random
from types import SimpleNamespace

import numpy as np
import torch
from mmengine.logging import MMLogger

import sgmim  # noqa: F401
from sgmim.datasets import PerSampleSeedInfiniteSampler, PerSampleSeedSampler
from sgmim.engine import RandomStateHook


def fake_runner(sampler, resume=True):
    loop = SimpleNamespace(dataloader=SimpleNamespace(sampler=sampler,
                                                      batch_sampler=None))
    return SimpleNamespace(_train_loop=loop, train_loop=loop, _resume=resume,
                           logger=MMLogger.get_instance('random_state_test'))


def save(sampler):
    checkpoint = {}
    RandomStateHook().before_save_checkpoint(fake_runner(sampler), checkpoint)
    return checkpoint


def test_generators_and_sampler_seed_come_back_in_before_train():
    checkpoint = save(PerSampleSeedSampler(range(8), seed=5))
    expected = (random.random(), np.random.rand(), float(torch.rand(())))
    assert checkpoint['random_state']['sampler_seed'] == 5

    resumed = PerSampleSeedSampler(range(8), seed=9)  # seed=None: a new one
    runner, hook = fake_runner(resumed), RandomStateHook()
    hook.after_load_checkpoint(runner, checkpoint)
    random.seed(1), np.random.seed(1), torch.manual_seed(1)  # mmengine's
    assert resumed.seed == 9
    hook.before_train(runner)
    assert resumed.seed == 5
    assert (random.random(), np.random.rand(),
            float(torch.rand(()))) == expected


def test_infinite_stream_restarts_with_the_restored_seed():
    checkpoint = save(PerSampleSeedInfiniteSampler(range(8), seed=5))
    resumed = PerSampleSeedInfiniteSampler(range(8), seed=9)
    runner, hook = fake_runner(resumed), RandomStateHook()
    hook.after_load_checkpoint(runner, checkpoint)
    hook.before_train(runner)
    stream = list(itertools.islice(resumed, 24))
    assert stream == list(itertools.islice(
        PerSampleSeedInfiniteSampler(range(8), seed=5), 24))
    assert {i.seed for i in stream} == {5}


def test_nothing_restored_without_resume():
    checkpoint = save(PerSampleSeedSampler(range(8), seed=5))
    sampler = PerSampleSeedSampler(range(8), seed=9)
    runner, hook = fake_runner(sampler, resume=False), RandomStateHook()
    hook.after_load_checkpoint(runner, checkpoint)  # load_from
    hook.before_train(runner)
    assert sampler.seed == 9

from .per_sample_seed_sampler import (PerSampleSeedInfiniteSampler,
                                      PerSampleSeedSampler)
from .per_sample_seeding import install_per_sample_seeding, seeds_per_sample
from .sample_index import SampleIndex, sample_random_state, sample_seeds

__all__ = [
    'PerSampleSeedSampler', 'PerSampleSeedInfiniteSampler', 'SampleIndex',
    'sample_random_state', 'sample_seeds', 'install_per_sample_seeding',
    'seeds_per_sample'
]

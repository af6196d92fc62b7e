"""Images per second of a config's training data pipeline in one process:
the rate one dataloader worker sustains, to set beside the model's."""
import math
import time
from typing import Dict

from mmengine.config import Config
from mmengine.registry import DATASETS, DefaultScope, init_default_scope


def pipeline_rate(cfg: Config, num_samples: int = 32,
                  warmup: int = 2) -> Dict[str, float]:
    """Time ``num_samples`` samples of ``cfg.train_dataloader.dataset``
    (loading, decoding and every transform, as one worker does; collation
    and the transfer to the device are not included), after ``warmup``
    untimed ones.

    Returns:
        dict: ``images_per_s`` (samples per second of one worker; a
        multi-view sample, as LUT's, counts once) and ``num_samples``.

    Raises:
        FileNotFoundError: The dataset's files are missing (the message
            names what the dataset could not find).
    """
    if num_samples < 1 or warmup < 0:
        raise ValueError(f'num_samples must be >= 1 and warmup >= 0, got '
                         f'{num_samples} and {warmup}')
    scope = cfg.get('default_scope') or 'mmpretrain'
    init_default_scope(scope)
    with DefaultScope.overwrite_default_scope(scope):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
    size = len(dataset)
    for i in range(warmup):
        dataset[i % size]
    start = time.perf_counter()
    for i in range(num_samples):
        dataset[(warmup + i) % size]
    seconds = time.perf_counter() - start
    return dict(images_per_s=num_samples / seconds, num_samples=num_samples)


def workers_needed(model_images_per_s: float,
                   worker_images_per_s: float) -> int:
    """Dataloader workers that keep up with the model:
    ``ceil(model rate / one worker's rate)``."""
    return max(1, math.ceil(model_images_per_s / worker_images_per_s))

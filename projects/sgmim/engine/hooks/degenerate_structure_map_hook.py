"""Count degenerate structure maps per epoch and stop on too many."""
from typing import Optional, Sequence

import torch
from mmengine.dist import all_reduce
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from sgmim.datasets.transforms.loading import StructureMapError


@HOOKS.register_module()
class DegenerateStructureMapHook(Hook):
    """Log how many training samples had a degenerate structure map in each
    epoch, and fail when their fraction exceeds ``max_degenerate_fraction``.

    ``StructureMapStandardize`` flags a map whose standardisation band has
    zero spread (all zeros, constant) as ``<map_key>_degenerate`` and turns
    it into zeros; ``PackInputs(meta_keys=[...])`` must carry that flag (and
    ``<map_key>_path``, named in the messages) into the data samples.  The
    hook counts the flags of the batches in the main process, so it works
    with any ``num_workers``; counts are summed over distributed ranks::

        fraction = #degenerate samples / #samples    (this epoch)

    and the run stops with a :class:`StructureMapError` naming the fraction
    and some files when ``fraction > max_degenerate_fraction``.

    Args:
        max_degenerate_fraction (float): Largest tolerated fraction, in
            [0, 1]. Defaults to 0.1.
        map_key (str): Structure map whose flags are counted.
            Defaults to 'structure_map'.
        num_named (int): Files named in the messages. Defaults to 5.
    """

    priority = 'LOW'

    def __init__(self,
                 max_degenerate_fraction: float = 0.1,
                 map_key: str = 'structure_map',
                 num_named: int = 5):
        if not 0 <= max_degenerate_fraction <= 1:
            raise ValueError(f'max_degenerate_fraction: expected a fraction '
                             f'in [0, 1], got {max_degenerate_fraction!r}')
        self.max_degenerate_fraction = max_degenerate_fraction
        self.flag_key = f'{map_key}_degenerate'
        self.path_key = f'{map_key}_path'
        self.num_named = num_named
        self._num_samples = 0
        self._degenerate = []

    def before_train_epoch(self, runner) -> None:
        self._num_samples = 0
        self._degenerate = []

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        for sample in data_batch['data_samples']:
            if self.flag_key not in sample.metainfo:
                raise KeyError(
                    f'DegenerateStructureMapHook: the data samples carry no '
                    f'{self.flag_key!r}; add it to the meta_keys of '
                    f'PackInputs, after StructureMapStandardize')
            self._num_samples += 1
            if sample.metainfo[self.flag_key]:
                self._degenerate.append(sample.metainfo.get(self.path_key))

    def after_train_epoch(self, runner) -> None:
        counts = torch.tensor([len(self._degenerate), self._num_samples],
                              dtype=torch.float64)
        all_reduce(counts)
        degenerate, total = (int(count) for count in counts)
        fraction = degenerate / max(total, 1)
        named = _named(self._degenerate[:self.num_named])
        message = (f'{degenerate} of {total} structure maps '
                   f'({fraction:.1%}) were degenerate in epoch '
                   f'{runner.epoch + 1}{named}')
        if fraction > self.max_degenerate_fraction:
            raise StructureMapError(
                f'{message}: more than max_degenerate_fraction='
                f'{self.max_degenerate_fraction}')
        runner.logger.info(f'{message} (degenerate maps are standardised to '
                           f'all zeros)')


def _named(paths: Sequence[str]) -> str:
    return f', e.g. {", ".join(map(str, paths))}' if paths else ''

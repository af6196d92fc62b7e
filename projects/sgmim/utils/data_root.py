"""``--data-root DIR``: move every dataset of a config to another folder.

A child config that sets ``data_root`` changes nothing that its base already
built from it: mmengine substitutes the base's variables while parsing, so
the dataloaders keep the base's paths. ``set_data_root`` rewrites the
resolved config instead:

* ``data_root`` of the dataset of ``train_dataloader``, ``val_dataloader``
  and ``test_dataloader``, and of every dataset wrapped by it (``dataset``
  of ``RepeatDataset``/``ClassBalancedDataset``..., ``datasets`` of
  ``ConcatDataset``);
* ``ann_file`` of ``val_evaluator``/``test_evaluator`` metrics (COCO's
  ground truth) that lies under one of the old roots: re-rooted at ``DIR``.
"""
import os.path as osp
from typing import Iterator, List

from mmengine.config import Config

DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
EVALUATORS = ('val_evaluator', 'test_evaluator')


def wrapped_datasets(dataset) -> Iterator[dict]:
    """``dataset`` and every dataset config nested in it as ``dataset`` or
    ``datasets``."""
    if not isinstance(dataset, dict):
        return
    yield dataset
    yield from wrapped_datasets(dataset.get('dataset'))
    for inner in dataset.get('datasets') or ():
        yield from wrapped_datasets(inner)


def reroot(path: str, old_roots: List[str], root: str) -> str:
    """``path`` moved from under the first of ``old_roots`` containing it to
    ``root``; unchanged when none contains it."""
    for old in old_roots:
        relative = osp.relpath(osp.normpath(path), osp.normpath(old))
        if relative != '..' and not relative.startswith('..' + osp.sep):
            return osp.join(root, relative)
    return path


def set_data_root(cfg: Config, root: str) -> None:
    """Set ``data_root`` of every dataset of ``cfg`` to ``root`` and re-root
    evaluator ``ann_file`` paths that lay under an old root."""
    old_roots = []
    for name in DATALOADERS:
        loader = cfg.get(name)
        for dataset in wrapped_datasets(loader and loader.get('dataset')):
            if dataset.get('data_root'):
                old_roots.append(dataset.data_root)
                dataset.data_root = root
    if not old_roots:
        raise ValueError(f'--data-root {root}: no dataset of the config '
                         'has a data_root to replace')
    # Deepest first, so that a root inside another is matched before it.
    old_roots = sorted(set(old_roots), key=lambda p: -len(osp.normpath(p)))
    for name in EVALUATORS:
        evaluator = cfg.get(name)
        metrics = evaluator if isinstance(evaluator, list) else [evaluator]
        for metric in metrics:
            if isinstance(metric, dict) and metric.get('ann_file'):
                metric.ann_file = reroot(metric.ann_file, old_roots, root)

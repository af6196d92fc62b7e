"""Load a state dict into a module and report what did not fit.

``torch.nn.Module.load_state_dict(strict=False)`` returns the missing and
unexpected keys but raises on the first shape mismatch; mmengine's
``load_state_dict`` only logs all three as text. :func:`load_with_report`
loads the way both do (each module's ``_load_from_state_dict``, so the
backbones' load pre-hooks still resize position tables and embeddings
first, then the post-hooks) and returns the three lists, every tensor that
fits being loaded.
"""
from collections import OrderedDict
from typing import List, NamedTuple

import torch.nn as nn
from torch.nn.modules.module import _IncompatibleKeys


class LoadReport(NamedTuple):
    """What a non-strict load left out.

    Attributes:
        missing (list[str]): Module entries the state dict does not hold.
        unexpected (list[str]): State-dict entries the module does not have.
        mismatched (list[str]): torch's message for each entry that could
            not be copied: a shape that differs after the load pre-hooks,
            with the key and both shapes.
    """
    missing: List[str]
    unexpected: List[str]
    mismatched: List[str]


def load_with_report(module: nn.Module, state_dict: dict) -> LoadReport:
    """Copy every fitting tensor of ``state_dict`` into ``module``.

    Args:
        module (nn.Module): The module to load into.
        state_dict (dict): Its weights (keys relative to ``module``).

    Returns:
        LoadReport: The missing, unexpected and mismatched entries.
    """
    report = LoadReport([], [], [])
    metadata = getattr(state_dict, '_metadata', None)
    state_dict = OrderedDict(state_dict)

    def load(child: nn.Module, local: dict, prefix: str = '') -> None:
        child_metadata = {} if metadata is None else metadata.get(
            prefix[:-1], {})
        child._load_from_state_dict(local, prefix, child_metadata, True,
                                    report.missing, report.unexpected,
                                    report.mismatched)
        for name, grandchild in child._modules.items():
            if grandchild is not None:
                inner = prefix + name + '.'
                load(grandchild,
                     {k: v for k, v in local.items() if k.startswith(inner)},
                     inner)
        keys = _IncompatibleKeys(report.missing, report.unexpected)
        for hook in child._load_state_dict_post_hooks.values():
            hook(child, keys)

    load(module, state_dict)
    return report

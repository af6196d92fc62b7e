"""Build the model of an mmpretrain, mmseg or mmdet config and load weights
strictly, for analysis.

The library is the config's ``default_scope`` (as in ``tools/train.py``):
its modules are registered and made the default scope, ``import sgmim``
registers ours, and the model is built from ``cfg.model`` with the config's
top-level ``data_preprocessor`` where the model names none (what mmengine's
``Runner`` does).

Weights are loaded with :func:`sgmim.models.utils.load_with_report` (the
backbones' load hooks run) through sgmim's safe (``weights_only``) loader,
from a ``state_dict`` (or ``model``) wrapper or a bare state dict, with a
DDP ``module.`` prefix stripped. Any missing, unexpected or mismatched key
raises :class:`CheckpointMismatchError`: an analysis must never run on
weights that silently stayed random. The literal checkpoint ``random``
analyses the config's own initialisation instead (``init_weights`` after
dropping ``Pretrained`` init configs), with a warning.
"""
import logging
from importlib import import_module
from typing import List, Optional

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import init_default_scope

import sgmim  # noqa: F401  registers components and the safe loader
from sgmim.models.utils.load_report import load_with_report
from sgmim.utils import load_checkpoint_file
from sgmim.utils.checkpoint_conversion import unwrap_state_dict
from sgmim.utils.run_config import load_config

RANDOM = 'random'
#: Keys of each list shown in a mismatch error.
SHOWN_KEYS = 20


class CheckpointMismatchError(ValueError):
    """A checkpoint does not fit the model of the config.

    Attributes:
        missing (list[str]): Model entries the checkpoint lacks.
        unexpected (list[str]): Checkpoint entries the model lacks.
        mismatched (list[str]): Entries whose shapes differ.
    """

    def __init__(self, checkpoint: str, config: str, missing: List[str],
                 unexpected: List[str], mismatched: List[str]) -> None:
        self.missing, self.unexpected = missing, unexpected
        self.mismatched = mismatched
        parts = [f'checkpoint {checkpoint} does not fit the model of '
                 f'{config}:']
        for label, keys in (('missing', missing), ('unexpected', unexpected),
                            ('shape mismatch', mismatched)):
            if keys:
                shown = ', '.join(keys[:SHOWN_KEYS])
                more = (f' ... (+{len(keys) - SHOWN_KEYS})'
                        if len(keys) > SHOWN_KEYS else '')
                parts.append(f'{len(keys)} {label} keys: {shown}{more}')
        super().__init__('\n  '.join(parts))


def use_library(scope: str):
    """Register the modules of ``scope`` (mmpretrain, mmseg or mmdet), make
    it the default scope and return its ``registry`` module."""
    utils = import_module(f'{scope}.utils')
    utils.register_all_modules(init_default_scope=False)
    init_default_scope(scope)
    return import_module(f'{scope}.registry')


def _drop_pretrained_init(node) -> List[str]:
    """Remove every ``init_cfg`` of type Pretrained (and mmseg's
    ``pretrained=`` path) below ``node``; return where they were."""
    dropped = []

    def walk(item, path):
        if isinstance(item, dict):
            init_cfg = item.get('init_cfg')
            if isinstance(init_cfg, dict) and init_cfg.get(
                    'type') == 'Pretrained':
                item['init_cfg'] = None
                dropped.append(f'{path}.init_cfg'.lstrip('.'))
            if item.get('pretrained'):
                item['pretrained'] = None
                dropped.append(f'{path}.pretrained'.lstrip('.'))
            for key, value in item.items():
                walk(value, f'{path}.{key}')
        elif isinstance(item, (list, tuple)):
            for i, value in enumerate(item):
                walk(value, f'{path}.{i}')

    walk(node, 'model')
    return dropped


def build_model(cfg: Config) -> nn.Module:
    """The (un-initialised) model of ``cfg`` in its library's registry."""
    models = use_library(cfg.default_scope).MODELS
    model_cfg = cfg.model.copy()
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    return models.build(model_cfg)


def load_weights(model: nn.Module, checkpoint: str, config: str) -> None:
    """Load ``checkpoint`` into ``model``; every key must fit.

    Raises:
        CheckpointMismatchError: If a key is missing, unexpected or of
            another shape.
    """
    state_dict = unwrap_state_dict(
        load_checkpoint_file(checkpoint, map_location='cpu'))
    report = load_with_report(model, state_dict)
    if report.missing or report.unexpected or report.mismatched:
        raise CheckpointMismatchError(checkpoint, config, report.missing,
                                      report.unexpected, report.mismatched)


def load_model(config: str,
               checkpoint: str,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """The model of ``config`` with the weights of ``checkpoint``, in eval
    mode on ``device``.

    Args:
        config (str): An mmpretrain, mmseg or mmdet config file.
        checkpoint (str): A checkpoint file, or ``'random'`` for the config's
            own initialisation (``init_weights``, Pretrained init configs
            dropped; a warning is logged).
        device (str): Device to move the model to. Defaults to 'cpu'.
        cfg_options (dict, optional): Parsed ``--cfg-options``.

    Returns:
        nn.Module: The model; ``model.cfg`` is the config used.

    Raises:
        FileNotFoundError: If the config or checkpoint does not exist.
        ValueError: If the config's ``default_scope`` is not one of the
            three libraries.
        CheckpointMismatchError: If the checkpoint does not fit the model.
    """
    cfg = load_config(config, cfg_options)
    if checkpoint == RANDOM:
        dropped = _drop_pretrained_init(cfg.model)
        model = build_model(cfg)
        model.init_weights()
        print_log(
            f'checkpoint {RANDOM!r}: analysing the random initialisation of '
            f'{config}' + (f' (ignored {", ".join(dropped)})'
                           if dropped else ''),
            logger='current', level=logging.WARNING)
    else:
        model = build_model(cfg)
        load_weights(model, checkpoint, config)
    model.cfg = cfg
    return model.to(torch.device(device)).eval()

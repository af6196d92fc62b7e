"""``--cfg-options key=value``: parsed with a usage error, merged only where
the key's path exists, so that a misspelt key fails instead of being ignored.

A key is a dotted path into the config (list elements by index, e.g.
``train_dataloader.dataset.pipeline.0.scale``). It is accepted when

* its first key is in the config, or is a parameter of mmengine's ``Runner``
  or ``compile`` (``randomness``, ``load_from``, ...: read by the runner
  even where the config leaves them out; an absent one counts as an empty
  dict);
* every further key but the last exists (a dict key, or a list index in
  range);
* the last key exists, or is new under a dict and no existing key of that
  dict is a near miss of it (``difflib`` similarity >= 0.8: ``batch_sise``
  for ``batch_size``), so that new leaves such as
  ``optim_wrapper.optimizer.fused`` or ``model.backbone.init_cfg.checkpoint``
  need no prefix.

``+key=value`` adds a key the rules refuse (a new top-level key, new
intermediate dicts, a near-miss name that is meant), without any check.
"""
import argparse
import difflib
import inspect

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

ADD_PREFIX = '+'
NEAR_MISS = 0.8
# ``compile`` is read by the runner from the config itself (``_maybe_compile``)
RUNNER_KEYS = frozenset(inspect.signature(Runner.__init__).parameters) - {
    'self', 'cfg'} | {'compile'}
RULES_HELP = 'a key not in the config is an error, +key=value adds one'
USAGE = ('--cfg-options takes key=value pairs, e.g. '
         'train_dataloader.batch_size=4 (+key=value adds a new key)')


class CfgOptionError(ValueError):
    """A ``--cfg-options`` key whose path is not in the config."""


class CfgOptionsAction(DictAction):
    """mmengine's ``DictAction`` with a usage error for an item that is not
    ``key=value`` (rather than ``not enough values to unpack``)."""

    def __call__(self, parser, namespace, values, option_string=None):
        for item in values or ():
            key = item.split('=', 1)[0].removeprefix(ADD_PREFIX)
            if '=' not in item or not all(key.split('.')):
                raise argparse.ArgumentError(self, f'{item!r}: {USAGE}')
        super().__call__(parser, namespace, values, option_string)


def _missing(key, choices, where, path) -> CfgOptionError:
    hint = difflib.get_close_matches(key, list(choices), n=1)
    near = f" (did you mean '{hint[0]}'?)" if hint else ''
    return CfgOptionError(
        f"--cfg-options {path}: {where} has no key '{key}'{near}; write "
        f'{ADD_PREFIX}{path}=... to add it')


def check_option_key(tree: dict, path: str) -> None:
    """Raise ``CfgOptionError`` unless ``path`` passes the module's rules in
    ``tree`` (a config as a dict)."""
    keys = path.split('.')
    node = tree
    if keys[0] not in node and keys[0] in RUNNER_KEYS:
        node = {keys[0]: {}}
    for depth, key in enumerate(keys):
        where = '.'.join(keys[:depth]) or 'the config'
        if isinstance(node, (list, tuple)):
            if not key.isdigit() or int(key) >= len(node):
                raise CfgOptionError(
                    f'--cfg-options {path}: {where} is a list of {len(node)}'
                    f', {key!r} is not an index into it')
        elif not isinstance(node, dict):
            raise CfgOptionError(f'--cfg-options {path}: {where} is a '
                                 f'{type(node).__name__}, not a dict or list')
        elif key not in node:
            near = difflib.get_close_matches(key, list(node), n=1,
                                             cutoff=NEAR_MISS)
            if depth == 0 or depth < len(keys) - 1 or near:
                raise _missing(key, node, where, path)
            return
        node = node[int(key) if isinstance(node, (list, tuple)) else key]


def merge_cfg_options(cfg: Config, options) -> None:
    """Merge parsed ``--cfg-options`` into ``cfg``; every key without the
    ``+`` prefix is checked first (``check_option_key``)."""
    if not options:
        return
    tree, merged = cfg.to_dict(), {}
    for key, value in options.items():
        if key.startswith(ADD_PREFIX):
            key = key[len(ADD_PREFIX):]
        else:
            check_option_key(tree, key)
        merged[key] = value
    cfg.merge_from_dict(merged)

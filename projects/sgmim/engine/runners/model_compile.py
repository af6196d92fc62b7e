"""``torch.compile`` of a model's forward, from a config's ``compile`` key.

mmengine's ``Runner`` compiles ``model.train_step`` (``cfg.compile``),
which holds the optimizer wrapper's backward and step: with torch 2.13
dynamo fails inside ``Adam.step`` on mmengine's param groups (an
``InternalTorchDynamoError`` on the synth SG-MIM config). :func:`compile_model`
compiles the model's own forward instead (``nn.Module.compile``: in
place, so the state-dict keys stay those of the eager model, where
``torch.compile(model)`` would prefix ``_orig_mod.``). The data
preprocessor, backward and the optimizer step stay eager; the forward's
``Tensor.tolist`` read-backs (SG-MIM's sparse structure branch) are graph
breaks, compiled once per shape, so a run compiles during its first
iteration and not again while the batch shape holds::

    compile = True                              # inductor, defaults
    compile = dict(backend='inductor', mode='max-autotune-no-cudagraphs')
"""
import inspect
from typing import Union

import torch
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch import nn

#: the ``compile`` keys a config may set: ``torch.compile``'s keywords
COMPILE_KEYS = tuple(
    name for name, param in inspect.signature(torch.compile).parameters.items()
    if param.kind is inspect.Parameter.KEYWORD_ONLY)


def compile_options(compile_cfg: Union[bool, dict, None]) -> Union[dict,
                                                                   None]:
    """The ``torch.compile`` keywords of a ``compile`` config value
    (``None`` when compiling is off).

    Raises:
        TypeError: ``compile`` is neither a bool nor a dict.
        KeyError: a key is not a ``torch.compile`` keyword; the message
            names it and the valid ones.
    """
    if compile_cfg is None or compile_cfg is False:
        return None
    if compile_cfg is True:
        return {}
    if not isinstance(compile_cfg, dict):
        raise TypeError(f'compile must be a bool or a dict of torch.compile '
                        f'keywords, got {compile_cfg!r}')
    unknown = sorted(set(compile_cfg) - set(COMPILE_KEYS))
    if unknown:
        raise KeyError(f'compile.{unknown[0]} is not a torch.compile '
                       f'keyword; choose from {", ".join(COMPILE_KEYS)}')
    return dict(compile_cfg)


def compile_model(model: nn.Module,
                  compile_cfg: Union[bool, dict, None]) -> bool:
    """Compile the forward of ``model`` (of the module inside a DDP
    wrapper) in place; returns whether it did.

    Tracing happens at the first call, so modules swapped before it
    (``FusedWindowAttentionHook``) are the ones compiled.
    """
    options = compile_options(compile_cfg)
    if options is None:
        return False
    target = model.module if is_model_wrapper(model) else model
    target.compile(**options)
    print_log(f'compiled the forward of {type(target).__name__} with '
              f'torch.compile({options}); the first iteration traces it',
              logger='current')
    return True

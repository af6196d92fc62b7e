"""Command line shared by the analysis tools (``tools/analysis_tools/``).

Every model tool takes ``CONFIG CHECKPOINT`` (``random``: the config's
initialisation) and the options of :func:`add_data_args`;
:func:`prepare_model` loads the model, :func:`model_batches` yields its
normalised image batches with a progress bar, and :func:`run_main` turns a
known bad input into a one-line error with exit status 1 (the output folder
is then left as it was, see :class:`sgmim.analysis.outputs.OutputDir`).

The tools that draw several models in one figure add :func:`add_models_args`
(``--name NAME``, repeatable ``--model NAME CONFIG CHECKPOINT``) and loop
over :func:`load_models`; each model becomes one entry of the JSON's
``models`` list (:meth:`ModelSpec.describe` plus the tool's ``records``).
"""
import argparse
import os.path as osp
import sys
from typing import (Callable, Iterator, List, NamedTuple, Optional, Sequence,
                    Tuple)

import torch
import torch.nn as nn
from mmengine.runner import set_random_seed
from tqdm import tqdm

from sgmim.utils.cfg_options import CfgOptionsAction
from .features import INPUT_SUFFIX, PRESETS, default_layers, get_module
from .images import (ImageInputError, check_batch_size, dataset_images,
                     folder_images, image_batches, input_size, normalization)
from .loading import CheckpointMismatchError, load_model

#: Errors of bad input, reported without a traceback.
INPUT_ERRORS = (ValueError, KeyError, FileNotFoundError, ImageInputError,
                CheckpointMismatchError)


def default_device() -> str:
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def add_model_args(parser: argparse.ArgumentParser, suffix: str = '') -> None:
    """Positional ``config`` and ``checkpoint`` (``suffix`` tells a second
    pair apart in the help)."""
    parser.add_argument('config', help=f'config file{suffix}')
    parser.add_argument(
        'checkpoint',
        help=f'checkpoint file{suffix}, or "random" for the config\'s '
        'initialisation')


def add_data_args(parser: argparse.ArgumentParser, measure: str,
                  num_images: int = 64, batch_size: int = 16) -> None:
    """The options every model tool shares."""
    parser.add_argument(
        '--img-dir', help='folder of images (sorted by name); default: the '
        "config's test, else val, else train dataset")
    parser.add_argument('--num-images', type=int, default=num_images,
                        help=f'images to analyse (default {num_images})')
    parser.add_argument('--batch-size', type=int, default=batch_size,
                        help=f'images per batch (default {batch_size})')
    parser.add_argument('--img-size', type=int, nargs='+', metavar='S',
                        help='input size H [W] (default: the encoder\'s)')
    parser.add_argument(
        '--layers', nargs='+', metavar='NAME',
        help='module names (e.g. backbone.layers.3); default: the preset')
    parser.add_argument('--preset', choices=PRESETS, default='blocks',
                        help='default layers: every block, or MeSa\'s '
                        'SwinV2 list (default blocks)')
    parser.add_argument('--out-dir', default=f'work_dirs/analysis/{measure}',
                        help='output folder (default work_dirs/analysis/'
                        f'{measure})')
    parser.add_argument('--device', default=default_device(),
                        help='e.g. cpu, cuda, cuda:1 (default: cuda if '
                        'available)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of data sampling and masks (default 0)')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override keys of the (first) config, '
                        'key=value')


def check_data_args(args, min_batch_size: int = 1, reason: str = '') -> None:
    """Validate the numeric options before anything is loaded."""
    if args.num_images < 1:
        raise ValueError(f'--num-images must be >= 1, got {args.num_images}')
    check_batch_size(args.batch_size, args.num_images, min_batch_size,
                     reason)
    if args.img_size is not None and len(args.img_size) not in (1, 2):
        raise ValueError('--img-size takes H or H W')


class PreparedModel(NamedTuple):
    """A loaded model with what its batches need.

    Attributes:
        model (nn.Module): In eval mode on the device.
        layers (list[str]): The layers to analyse.
        size (tuple[int, int]): Input size (H, W).
    """
    model: nn.Module
    layers: List[str]
    size: tuple


DefaultLayers = Callable[[nn.Module], Sequence[str]]


def prepare_model(args, config: Optional[str] = None,
                  checkpoint: Optional[str] = None,
                  layers: Optional[List[str]] = None,
                  defaults: Optional[DefaultLayers] = None) -> PreparedModel:
    """Seed, load a model and resolve its layers; unknown names fail here.

    Without ``config``/``checkpoint`` the first model (``args.config``,
    ``args.checkpoint``, with ``--cfg-options``), whose layers are
    ``layers``, else ``--layers``; with them another model (``--compare``,
    ``--model`` ...), whose layers are ``layers``. Otherwise the layers are
    ``defaults(model)``, by default the ``--preset`` layers.
    """
    set_random_seed(args.seed)
    first = config is None
    model = load_model(config or args.config, checkpoint or args.checkpoint,
                       args.device, args.cfg_options if first else None)
    names = layers or (args.layers if first else None)
    if not names:
        names = (defaults(model) if defaults else default_layers(
            model, args.preset))
    for name in names:
        get_module(model, name.removesuffix(INPUT_SUFFIX))
    if args.img_size:
        size = (args.img_size[0], args.img_size[-1])
    else:
        size = input_size(model, model.cfg)
    return PreparedModel(model, list(names), size)


def add_models_args(parser: argparse.ArgumentParser) -> None:
    """``--name`` of the first model and repeatable ``--model NAME CONFIG
    CHECKPOINT``: more models in the same figures."""
    parser.add_argument('--name', help='label of the first model (default: '
                        'its config name)')
    parser.add_argument('--model', nargs=3, action='append', default=[],
                        metavar=('NAME', 'CONFIG', 'CHECKPOINT'),
                        help='another model in the same figures, analysed '
                        'on the same images with its default layers '
                        '(repeatable)')


class ModelSpec(NamedTuple):
    """One model of :func:`add_models_args`.

    Attributes:
        name (str): Its label in the figures and the JSON.
        config (str): Config file.
        checkpoint (str): Checkpoint file or ``random``.
        first (bool): The positional ``CONFIG CHECKPOINT`` model, the one
            ``--layers`` and ``--cfg-options`` apply to.
    """
    name: str
    config: str
    checkpoint: str
    first: bool

    def describe(self) -> dict:
        """The keys naming this model in a tool's JSON."""
        return dict(name=self.name, config=self.config,
                    checkpoint=self.checkpoint)


def model_specs(args) -> List[ModelSpec]:
    """The first model, then each ``--model``; names must differ."""
    first = args.name or osp.splitext(osp.basename(args.config))[0]
    specs = [ModelSpec(first, args.config, args.checkpoint, True)] + [
        ModelSpec(name, config, checkpoint, False)
        for name, config, checkpoint in args.model
    ]
    names = [spec.name for spec in specs]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f'model names must differ, {repeated} repeats '
                         '(use --name / --model NAME ...)')
    return specs


def load_models(args, defaults: Optional[DefaultLayers] = None
                ) -> Iterator[Tuple[ModelSpec, PreparedModel]]:
    """Each model of :func:`model_specs` loaded by :func:`prepare_model`
    (seeded anew, so that a model's numbers do not depend on the models
    before it), one at a time. The names are checked before any model
    loads."""
    specs = model_specs(args)

    def load():
        for spec in specs:
            other = () if spec.first else (spec.config, spec.checkpoint)
            yield spec, prepare_model(args, *other, defaults=defaults)

    return load()


def layer_depths(count: int) -> List[float]:
    """Normalised depth of ``count`` layers: layer i at i / (count − 1), so
    that models of different depths share one axis."""
    return [i / max(count - 1, 1) for i in range(count)]


def model_batches(args, prepared: PreparedModel, drop_last: bool = False,
                  desc: str = 'batches') -> Iterator[torch.Tensor]:
    """The normalised (B, 3, H, W) batches for ``prepared.model`` with a
    progress bar, from ``--img-dir`` or the config's dataset; seeded with
    ``--seed`` so that two models of one run see the same images."""
    if args.img_dir:
        images = folder_images(args.img_dir, prepared.size, args.num_images)
    else:
        images = dataset_images(prepared.model.cfg, prepared.size,
                                args.num_images, args.seed)
    batches = image_batches(images, normalization(prepared.model),
                            args.batch_size, drop_last,
                            next(prepared.model.parameters()).device)
    total = args.num_images // args.batch_size
    if not drop_last and args.num_images % args.batch_size:
        total += 1
    return iter(tqdm(batches, total=total, desc=desc, unit='batch',
                     file=sys.stderr, leave=False))


def run_main(main: Callable[[Optional[list]], None],
             argv: Optional[list] = None) -> None:
    """Run a tool's ``main(argv)``; a bad-input error exits with its
    message (status 1) instead of a traceback."""
    try:
        main(argv)
    except INPUT_ERRORS as error:
        message = error.args[0] if isinstance(error, KeyError) else error
        sys.exit(f'error: {message}')


def add_names_arg(parser: argparse.ArgumentParser, second: str) -> None:
    """``--names FIRST [SECOND]``: figure labels of the model and of the
    ``second`` one (default: the config file names)."""
    parser.add_argument(
        '--names', nargs='+', metavar='NAME',
        help=f'figure labels of the model and of the {second} (default: '
        'the config file names)')


def figure_names(names: Optional[List[str]], configs: List[str]
                 ) -> List[str]:
    """``names`` for the models of ``configs``, the config file names where
    ``names`` gives none."""
    names = list(names or [])
    if len(names) > len(configs):
        raise ValueError(f'--names gives {len(names)} labels for '
                         f'{len(configs)} model(s)')
    return names + [osp.splitext(osp.basename(c))[0]
                    for c in configs[len(names):]]


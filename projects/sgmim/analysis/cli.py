"""Command line shared by the analysis tools (``tools/analysis_tools/``).

Every model tool takes ``CONFIG CHECKPOINT`` (``random``: the config's
initialisation) and the options of :func:`add_data_args`;
:func:`prepare_model` loads the model, :func:`model_batches` yields its
normalised image batches with a progress bar, and :func:`run_main` turns a
known bad input into a one-line error with exit status 1 (the output folder
is then left as it was, see :class:`sgmim.analysis.outputs.OutputDir`).
"""
import argparse
import sys
from typing import Callable, Iterator, List, NamedTuple, Optional

import torch
import torch.nn as nn
from mmengine.runner import set_random_seed
from tqdm import tqdm

from sgmim.utils.cfg_options import CfgOptionsAction
from .features import PRESETS, default_layers, get_module
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
                        help='override config keys, key=value')


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


def prepare_model(args, config: Optional[str] = None,
                  checkpoint: Optional[str] = None,
                  layers: Optional[List[str]] = None) -> PreparedModel:
    """Seed, load ``config``/``checkpoint`` (default ``args.config`` /
    ``args.checkpoint``) and resolve its layers (``layers``, else
    ``args.layers``, else the preset's); unknown names fail here."""
    set_random_seed(args.seed)
    model = load_model(config or args.config, checkpoint or args.checkpoint,
                       args.device, args.cfg_options)
    names = layers or args.layers or default_layers(model, args.preset)
    for name in names:
        get_module(model, name)
    if args.img_size:
        size = (args.img_size[0], args.img_size[-1])
    else:
        size = input_size(model, model.cfg)
    return PreparedModel(model, list(names), size)


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

"""Batches of preprocessed images for the analysis tools.

Two sources, both in a fixed order:

* :func:`folder_images` -- the image files of a folder tree (sorted by path),
  each resized so that its shorter side fits the encoder's input size and
  centre-cropped to it (bicubic, as the test pipelines of mmpretrain);
* :func:`dataset_images` -- the config's test dataset, else its val dataset,
  else (pre-training configs have no other) its train dataset, through the
  dataset's own pipeline (seeded); each packed image is then brought to the
  input size the same way, so that every batch has one token grid.

:func:`image_batches` stacks them and normalises them as the model's data
preprocessor does (its ``mean``/``std`` and BGR→RGB conversion; images are
loaded BGR, as ``LoadImageFromFile`` does).
"""
import os
import os.path as osp
from typing import Iterable, Iterator, List, NamedTuple, Sequence, Tuple

import mmcv
import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import set_random_seed

from .loading import use_library

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff',
                    '.webp', '.ppm', '.pgm')
DATASET_SPLITS = ('test_dataloader', 'val_dataloader', 'train_dataloader')


class ImageInputError(ValueError):
    """An image folder or file that cannot be used; the message names it."""


class Normalization(NamedTuple):
    """How the model's data preprocessor normalises an image.

    Attributes:
        mean (torch.Tensor): (3, 1, 1) per-channel mean (after conversion).
        std (torch.Tensor): (3, 1, 1) per-channel std.
        bgr_to_rgb (bool): Whether channels are reversed first.
    """
    mean: torch.Tensor
    std: torch.Tensor
    bgr_to_rgb: bool


def normalization(model: nn.Module) -> Normalization:
    """The normalisation of ``model.data_preprocessor`` (mmengine's
    ``ImgDataPreprocessor`` family, mmseg's ``SegDataPreProcessor``).

    Raises:
        ValueError: If the preprocessor does not normalise with mean/std.
    """
    preprocessor = getattr(model, 'data_preprocessor', None)
    mean = getattr(preprocessor, 'mean', None)
    std = getattr(preprocessor, 'std', None)
    if not isinstance(mean, torch.Tensor) or not isinstance(std, torch.Tensor):
        raise ValueError(
            f'{type(preprocessor).__name__}: the data preprocessor has no '
            'mean/std normalisation to apply to the analysed images')
    convert = getattr(preprocessor, '_channel_conversion',
                      getattr(preprocessor, 'channel_conversion', False))
    return Normalization(mean.detach().float().cpu().reshape(-1, 1, 1),
                         std.detach().float().cpu().reshape(-1, 1, 1),
                         bool(convert))


def input_size(model: nn.Module, cfg: Config) -> Tuple[int, int]:
    """The encoder's input size (H, W): its patch embedding's
    ``init_input_size``, else the config's ``model.backbone.img_size``.

    Raises:
        ValueError: If neither is known (give ``--img-size``).
    """
    patch_embed = getattr(getattr(model, 'backbone', None), 'patch_embed',
                          None)
    size = getattr(patch_embed, 'init_input_size', None)
    if size is None:
        size = cfg.model.get('backbone', {}).get('img_size')
    if size is None:
        raise ValueError('the encoder input size is not in the config '
                         '(model.backbone.img_size): give --img-size')
    if isinstance(size, int):
        return (size, size)
    return tuple(int(s) for s in size)


def resize_center_crop(image: np.ndarray, size: Sequence[int]) -> np.ndarray:
    """Resize ``image`` (H, W, 3) so that it covers ``size`` (h, w) with its
    aspect ratio kept (bicubic), then cut the centre (h, w)."""
    height, width = image.shape[:2]
    target_h, target_w = size
    scale = max(target_h / height, target_w / width)
    new_h = max(target_h, int(round(height * scale)))
    new_w = max(target_w, int(round(width * scale)))
    if (new_h, new_w) != (height, width):
        image = mmcv.imresize(image, (new_w, new_h), interpolation='bicubic')
    top, left = (new_h - target_h) // 2, (new_w - target_w) // 2
    return image[top:top + target_h, left:left + target_w]


def image_files(img_dir: str) -> List[str]:
    """The image files of ``img_dir`` and its sub-folders (an ImageNet-style
    ``val/<class>/`` tree), sorted by path.

    Raises:
        ImageInputError: If the folder does not exist or holds no image.
    """
    if not osp.isdir(img_dir):
        raise ImageInputError(f'image folder not found: {img_dir}')
    files = sorted(
        osp.join(root, name) for root, _, names in os.walk(img_dir)
        for name in names if name.lower().endswith(IMAGE_EXTENSIONS))
    if not files:
        raise ImageInputError(
            f'image folder {img_dir} holds no image file '
            f'({", ".join(IMAGE_EXTENSIONS)})')
    return files


def read_image(path: str) -> np.ndarray:
    """``path`` as a BGR uint8 (H, W, 3) array.

    Raises:
        ImageInputError: If it cannot be decoded (empty or corrupt file).
    """
    try:
        image = mmcv.imread(path, flag='color')
    except Exception as error:  # OpenCV asserts on an empty buffer
        raise ImageInputError(f'cannot read image {path}: {error}') from error
    if image is None:
        raise ImageInputError(f'corrupt or unsupported image file: {path}')
    return image


def folder_images(img_dir: str, size: Sequence[int],
                  num_images: int) -> Iterator[np.ndarray]:
    """``num_images`` images of ``img_dir`` (all if fewer, with a notice),
    each resized and centre-cropped to ``size``. From more files, an evenly
    spaced selection of the sorted paths is taken, so that every class
    folder of a sorted tree is represented (the first and last file are
    always in it)."""
    files = image_files(img_dir)
    if len(files) < num_images:
        print_log(f'{img_dir} holds {len(files)} images; using them all '
                  f'instead of {num_images}', logger='current')
    elif len(files) > num_images:
        picks = np.linspace(0, len(files) - 1, num_images).round()
        files = [files[int(i)] for i in picks]
    for path in files:
        yield resize_center_crop(read_image(path), size)


def _dataset_cfg(cfg: Config):
    for split in DATASET_SPLITS:
        loader = cfg.get(split)
        if loader and loader.get('dataset'):
            return split, loader.dataset
    raise ValueError('the config has no test, val or train dataset: give '
                     '--img-dir')


def dataset_images(cfg: Config, size: Sequence[int], num_images: int,
                   seed: int = 0) -> Iterator[np.ndarray]:
    """The first ``num_images`` images of the config's test (else val, else
    train) dataset through its pipeline, seeded with ``seed``, each then
    resized and centre-cropped to ``size``.

    Raises:
        ValueError: If the config has no dataset.
        ImageInputError: If the dataset is empty.
    """
    split, dataset_cfg = _dataset_cfg(cfg)
    dataset = use_library(cfg.default_scope).DATASETS.build(dataset_cfg)
    if len(dataset) == 0:
        raise ImageInputError(f'the {split} dataset of the config is empty '
                              f'({dataset_cfg.get("data_root", "")})')
    if len(dataset) < num_images:
        print_log(f'the {split} dataset holds {len(dataset)} images; using '
                  f'them all instead of {num_images}', logger='current')
    print_log(f'images from the {split} dataset', logger='current')
    set_random_seed(seed)
    for index in range(min(num_images, len(dataset))):
        inputs = dataset[index]['inputs']
        if isinstance(inputs, (list, tuple)):  # multi-view: the first view
            inputs = inputs[0]
        image = inputs.permute(1, 2, 0).numpy()
        yield resize_center_crop(np.ascontiguousarray(image), size)


def check_batch_size(batch_size: int, num_images: int,
                     minimum: int = 1, reason: str = '') -> None:
    """Raise ``ValueError`` unless ``minimum <= batch_size <= num_images``.

    Args:
        batch_size (int): Images per batch.
        num_images (int): Images in all.
        minimum (int): The smallest batch the measure accepts.
        reason (str): Why, for the message (e.g. 'the unbiased HSIC
            estimator needs n >= 4').
    """
    if batch_size < minimum:
        why = f' ({reason})' if reason else ''
        raise ValueError(f'--batch-size must be >= {minimum}{why}, got '
                         f'{batch_size}')
    if num_images < batch_size:
        raise ValueError(f'--num-images ({num_images}) must be >= '
                         f'--batch-size ({batch_size})')


def image_batches(images: Iterable[np.ndarray], norm: Normalization,
                  batch_size: int, drop_last: bool = False,
                  device='cpu') -> Iterator[torch.Tensor]:
    """Stack ``images`` (BGR uint8 (H, W, 3)) into normalised float batches
    (B, 3, H, W) on ``device``: x = (convert(img) − mean) / std.

    Args:
        images (Iterable[np.ndarray]): Images of one size.
        norm (Normalization): From :func:`normalization`.
        batch_size (int): Images per batch.
        drop_last (bool): Drop a last batch smaller than ``batch_size``.
        device: Where the batches go.
    """
    batch = []
    for image in images:
        batch.append(torch.from_numpy(np.ascontiguousarray(image)))
        if len(batch) == batch_size:
            yield _normalise(batch, norm, device)
            batch = []
    if batch and not drop_last:
        yield _normalise(batch, norm, device)


def _normalise(batch: List[torch.Tensor], norm: Normalization,
               device) -> torch.Tensor:
    images = torch.stack(batch).permute(0, 3, 1, 2).float()
    if norm.bgr_to_rgb:
        images = images.flip(1)
    return ((images - norm.mean) / norm.std).to(device)

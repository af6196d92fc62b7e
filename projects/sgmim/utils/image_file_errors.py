"""Errors that name an empty or undecodable image file, in every loading
transform.

OpenCV's ``imdecode`` *asserts* on an empty buffer (``cv2.error: ...
!buf.empty() in function 'imdecode_'``) and returns ``None`` for bytes it
cannot decode. mmcv's ``LoadImageFromFile`` names the file in the second
case only; the annotation loaders (mmcv/mmseg ``LoadAnnotations``, mmdet's,
mmseg's ``LoadDepthAnnotation``) name it in neither: a corrupt label or depth
PNG fails as ``'NoneType' object has no attribute 'astype'`` or as PIL's
``cannot identify image file <_io.BytesIO ...>``.

:func:`install_image_file_errors` (run by ``import sgmim``) wraps the
``transform`` of each loader in :data:`LOADERS`. When it raises, the file it
reads, ``results[key]``, is looked at: 0 bytes gives an
:class:`EmptyImageFileError`, bytes OpenCV cannot decode give a
:class:`CorruptImageFileError`, both naming the file and chained to the
original error. Any other failure (the file decodes: the fault is elsewhere)
passes unchanged, and a loader that succeeds is not slowed down.
``LoadImageFromFile(ignore_empty=True)`` still skips an empty file.
"""
import functools
from typing import Optional

import cv2
import numpy as np
from mmcv.transforms import LoadAnnotations, LoadImageFromFile
from mmdet.datasets.transforms import LoadAnnotations as DetLoadAnnotations
from mmengine import fileio
from mmseg.datasets.transforms import LoadDepthAnnotation

#: Loading transforms (and their subclasses that keep ``transform``) with
#: the results key of the file each decodes. mmseg's ``LoadAnnotations``
#: inherits mmcv's ``transform``.
LOADERS = (
    (LoadImageFromFile, 'img_path'),
    (LoadAnnotations, 'seg_map_path'),
    (DetLoadAnnotations, 'seg_map_path'),
    (LoadDepthAnnotation, 'depth_map_path'),
)


class ImageFileError(ValueError):
    """An image (or image-coded map) file that cannot be decoded."""


class EmptyImageFileError(ImageFileError):
    """An image file of 0 bytes; the message names it."""


class CorruptImageFileError(ImageFileError):
    """An image file whose bytes do not decode; the message names it."""


def diagnose_image_file(path: str,
                        backend_args: Optional[dict] = None
                        ) -> Optional[ImageFileError]:
    """The error ``path`` deserves if its bytes are not a decodable image;
    ``None`` if it decodes, or if it cannot be read at all (a missing file
    is the reader's own error, which names it)."""
    try:
        content = fileio.get(path, backend_args=backend_args)
    except Exception:
        return None
    if len(content) == 0:
        return EmptyImageFileError(f'empty image file (0 bytes): {path}')
    decoded = cv2.imdecode(
        np.frombuffer(content, np.uint8), cv2.IMREAD_UNCHANGED)
    if decoded is None:
        return CorruptImageFileError(
            f'cannot decode image file {path} ({len(content)} bytes): '
            'corrupt, truncated or not an image')
    return None


def name_bad_image_file(transform, key: str):
    """``transform`` that raises the :class:`ImageFileError` of
    ``results[key]`` when it fails on an empty or undecodable file."""

    @functools.wraps(transform)
    def wrapped(self, results):
        try:
            return transform(self, results)
        except Exception as error:
            path = results.get(key)
            if isinstance(path, str):
                diagnosis = diagnose_image_file(
                    path, getattr(self, 'backend_args', None))
                if diagnosis is not None:
                    raise diagnosis from error
            raise

    wrapped.image_file_key = key
    return wrapped


def install_image_file_errors() -> None:
    """Wrap the ``transform`` of every loader of :data:`LOADERS`;
    idempotent."""
    for loader, key in LOADERS:
        if not hasattr(loader.transform, 'image_file_key'):
            loader.transform = name_bad_image_file(loader.transform, key)

"""Errors that name an empty (0-byte) image file, in every loading transform.

OpenCV's ``imdecode`` returns ``None`` for bytes it cannot decode (which
mmcv's ``LoadImageFromFile`` reports as ``failed to load image: PATH``) but
*asserts* on an empty buffer: ``cv2.error: ... !buf.empty() in function
'imdecode_'``. mmcv's ``imfrombytes`` and mmseg's ``datafrombytes`` pass that
on, and the loading transforms above them do not add the file name.

:func:`install_empty_image_file_errors` (run by ``import sgmim``) wraps the
``transform`` of each loader in :data:`LOADERS`: when it raises and the file
it reads, ``results[key]``, is empty, an :class:`EmptyImageFileError` naming
that file is raised instead, chained to the original error. Any other failure
passes unchanged, and a loader that succeeds is not slowed down (the file is
looked at again only after a failure). ``LoadImageFromFile(ignore_empty=True)``
still skips such a file.
"""
import functools

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


class EmptyImageFileError(ValueError):
    """An image (or image-coded map) file of 0 bytes; the message names it."""


def is_empty_file(path, backend_args=None) -> bool:
    """Whether ``path`` can be read and holds 0 bytes."""
    try:
        return len(fileio.get(path, backend_args=backend_args)) == 0
    except Exception:  # missing or unreadable: not the empty-file case
        return False


def name_empty_file(transform, key: str):
    """``transform`` that raises :class:`EmptyImageFileError` naming
    ``results[key]`` when it fails on an empty file."""

    @functools.wraps(transform)
    def wrapped(self, results):
        try:
            return transform(self, results)
        except Exception as error:
            path = results.get(key)
            if isinstance(path, str) and is_empty_file(
                    path, getattr(self, 'backend_args', None)):
                raise EmptyImageFileError(
                    f'empty image file (0 bytes): {path}') from error
            raise

    wrapped.empty_file_key = key
    return wrapped


def install_empty_image_file_errors() -> None:
    """Wrap the ``transform`` of every loader of :data:`LOADERS`;
    idempotent."""
    for loader, key in LOADERS:
        if not hasattr(loader.transform, 'empty_file_key'):
            loader.transform = name_empty_file(loader.transform, key)

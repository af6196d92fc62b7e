"""Atomic file output: encode in memory, write a temp file in the target
folder, then ``os.replace`` it, so an interrupted run never leaves a
half-written file under a final name."""
import io
import json
import os

import cv2
import numpy as np

JPEG_QUALITY = 95


def atomic_write_bytes(path, data):
    """Write ``data`` to ``path`` via a temporary sibling + ``os.replace``."""
    folder = os.path.dirname(path) or '.'
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f'.{os.path.basename(path)}.{os.getpid()}.tmp')
    try:
        with open(tmp, 'wb') as f:
            f.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _encode(ext, image, params=()):
    ok, buffer = cv2.imencode(ext, image, list(params))
    if not ok:
        raise OSError(f'could not encode {ext} image of shape {image.shape}')
    return buffer.tobytes()


def write_jpeg(path, rgb):
    """RGB uint8 -> baseline JPEG (fixed quality, deterministic)."""
    atomic_write_bytes(path, _encode('.jpg', rgb[..., ::-1],
                                     (cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY)))


def write_rgb_png(path, rgb):
    atomic_write_bytes(path, _encode('.png', rgb[..., ::-1]))


def write_png(path, array):
    """Single-channel uint8 or uint16 array -> lossless PNG."""
    if array.ndim != 2 or array.dtype not in (np.uint8, np.uint16):
        raise TypeError(f'expected a 2-D uint8/uint16 array, got '
                        f'{array.dtype} {array.shape}')
    atomic_write_bytes(path, _encode('.png', array))


def write_text(path, text):
    atomic_write_bytes(path, text.encode('utf-8'))


def write_lines(path, lines):
    write_text(path, ''.join(f'{line}\n' for line in lines))


def write_json(path, obj):
    write_text(path, json.dumps(obj, indent=1, sort_keys=True))


#: Fixed description of written .mat files (scipy writes the time there).
MAT_DESCRIPTION = b'MATLAB 5.0 MAT-file, written by SynthScenes'


def write_mat(path, variables):
    """MATLAB v5 ``.mat`` of ``variables`` (name -> array or dict, a dict
    becomes a struct), zlib-compressed, via ``scipy.io.savemat``.

    The 116-byte text of the file header, where scipy writes the creation
    time, is replaced by :data:`MAT_DESCRIPTION` (space padded, as MATLAB
    pads it), so equal content gives equal bytes.
    """
    from scipy import io as sio
    buffer = io.BytesIO()
    sio.savemat(buffer, variables, do_compression=True, oned_as='column')
    data = bytearray(buffer.getvalue())
    data[:116] = MAT_DESCRIPTION.ljust(116, b' ')
    atomic_write_bytes(path, bytes(data))

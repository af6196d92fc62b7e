"""Readers of the SC-Depth video layout and the snippet index rule.

The layout (JiawangBian/sc_depth_pl ``datasets/train_folders.py``; the
SynthScenes ``trajectories/`` subset writes the same)::

    <root>/training/train.txt            # one scene folder a line
    <root>/training/val.txt
    <root>/training/<scene>/0000000.jpg  # frames, in name order
    <root>/training/<scene>/cam.txt      # 3x3 intrinsics K (pixels)
    <root>/training/<scene>/frame_index.txt  # optional: kept frame numbers
    <root>/training/<scene>/poses.txt    # optional: 3x4 camera-to-world
                                         # per frame, row-major

Every function raises with a message naming the file it read.
"""
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np

__all__ = [
    'snippet_offsets', 'snippet_indices', 'parse_intrinsics',
    'parse_poses', 'parse_frame_index', 'sort_frames', 'find_frame_gap'
]


def snippet_offsets(sequence_length: int = 3,
                    skip_frames: int = 1) -> List[int]:
    """Offsets of the reference frames from the target frame.

    ``h = (L - 1) / 2``; offsets ``[-h*k, ..., -k, k, ..., h*k]`` (ascending,
    0 left out) for ``L = sequence_length`` and ``k = skip_frames``, as
    SC-Depth's ``generate_sample_index``. ``L`` must be odd and >= 1
    (``L = 1``: single frames, no reference).

    >>> snippet_offsets(3, 2)
    [-2, 2]
    """
    for name, value in (('sequence_length', sequence_length),
                        ('skip_frames', skip_frames)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f'{name}: expected a positive integer, got '
                             f'{value!r}')
    if sequence_length % 2 == 0:
        raise ValueError(f'sequence_length: expected an odd number (a target '
                         f'frame with neighbours on both sides), got '
                         f'{sequence_length}')
    half = (sequence_length - 1) // 2
    return [k * skip_frames for k in range(-half, half + 1) if k != 0]


def snippet_indices(num_frames: int,
                    sequence_length: int = 3,
                    skip_frames: int = 1) -> List[List[int]]:
    """Frame indices ``[t, t + o_1, ..., t + o_n]`` of every snippet of a
    scene of ``num_frames`` frames, offsets ``o`` from
    :func:`snippet_offsets`; the targets are ``t = h*k, ..., N - 1 - h*k``,
    i.e. every frame whose references all exist. A scene shorter than
    ``(L - 1)*k + 1`` frames gives none.

    SC-Depth keeps a scene only if ``N > L`` (strictly), which also drops a
    scene of exactly ``L`` frames that has one full snippet (``k = 1``);
    this rule keeps it.

    >>> snippet_indices(5, 3, 1)
    [[1, 0, 2], [2, 1, 3], [3, 2, 4]]
    """
    offsets = snippet_offsets(sequence_length, skip_frames)
    reach = max(offsets, default=0)
    return [[t] + [t + o for o in offsets]
            for t in range(reach, num_frames - reach)]


def _numbers(text: str, path: str) -> np.ndarray:
    try:
        return np.array([float(v) for v in text.split()], dtype=np.float64)
    except ValueError as error:
        raise ValueError(f'{path}: expected numbers ({error})') from None


def parse_intrinsics(text: str, path: str) -> np.ndarray:
    """``cam.txt`` content -> K (3, 3) float64.

    Nine numbers (three rows of three, any whitespace), finite, with
    ``fx = K[0, 0] > 0``, ``fy = K[1, 1] > 0`` and last row ``[0, 0, 1]``;
    else ``ValueError`` naming ``path``.
    """
    values = _numbers(text, path)
    rows = [line.split() for line in text.splitlines() if line.strip()]
    if values.size != 9:
        raise ValueError(f'{path}: expected a 3x3 intrinsics matrix (9 '
                         f'numbers), got {values.size} numbers in '
                         f'{len(rows)} rows')
    K = values.reshape(3, 3)
    if not np.isfinite(K).all():
        raise ValueError(f'{path}: intrinsics hold non-finite values: '
                         f'{K.tolist()}')
    if not (K[0, 0] > 0 and K[1, 1] > 0) or not np.allclose(
            K[2], [0, 0, 1]):
        raise ValueError(f'{path}: not a pinhole intrinsics matrix (needs '
                         f'fx > 0, fy > 0 and last row [0, 0, 1]): '
                         f'{K.tolist()}')
    return K


def parse_poses(text: str, path: str, num_frames: int) -> np.ndarray:
    """``poses.txt`` content -> camera-to-world poses (N, 4, 4) float64.

    One line per frame of twelve numbers, the rows of ``[R | t]``; the
    line count must equal ``num_frames`` (the frames in the folder), else
    ``ValueError`` naming ``path`` (and the line).
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) != num_frames:
        raise ValueError(f'{path}: expected one pose line per frame '
                         f'({num_frames} frames), got {len(lines)} lines')
    poses = np.tile(np.eye(4), (num_frames, 1, 1))
    for i, line in enumerate(lines):
        values = _numbers(line, f'{path} line {i + 1}')
        if values.size != 12 or not np.isfinite(values).all():
            raise ValueError(f'{path} line {i + 1}: expected 12 finite '
                             f'numbers (a 3x4 [R | t]), got {line.strip()!r}')
        poses[i, :3] = values.reshape(3, 4)
    return poses


def parse_frame_index(text: str, path: str, num_frames: int) -> List[int]:
    """``frame_index.txt`` content -> the kept frames, as positions in the
    name-sorted frame list (SC-Depth's ``use_frame_index``): integers in
    ``[0, num_frames)``, strictly increasing; else ``ValueError`` naming
    ``path`` and the line."""
    kept = []
    for i, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            value = int(line)
        except ValueError:
            raise ValueError(f'{path} line {i + 1}: expected a frame number, '
                             f'got {line.strip()!r}') from None
        if not 0 <= value < num_frames or (kept and value <= kept[-1]):
            raise ValueError(
                f'{path} line {i + 1}: frame number {value} is not in '
                f'[0, {num_frames}) or not increasing')
        kept.append(value)
    return kept


def sort_frames(names: Sequence[str]) -> List[str]:
    """Frame file names in time order: by number when every stem is a
    decimal number (``9.jpg`` before ``10.jpg``), else by name (SC-Depth
    sorts by name; both agree for zero-padded numbers)."""
    stems = [osp.splitext(name)[0] for name in names]
    if stems and all(stem.isdigit() for stem in stems):
        return [name for _, name in sorted(zip(map(int, stems), names))]
    return sorted(names)


def find_frame_gap(names: Sequence[str]) -> Optional[str]:
    """The first missing frame name of a numbered sequence, or None.

    ``names`` are time-ordered file names (:func:`sort_frames`); when every
    stem is a decimal number (``0000007.jpg``), the numbers must run
    without a gap and the first missing one is returned with the padding
    and extension of the frame after the gap (e.g. ``'0000003.jpg'``).
    Names that are not all numbers are not checked.
    """
    stems = [osp.splitext(name) for name in names]
    if not stems or not all(stem.isdigit() for stem, _ in stems):
        return None
    numbers = [int(stem) for stem, _ in stems]
    for i in range(1, len(numbers)):
        if numbers[i] != numbers[i - 1] + 1:
            stem, ext = stems[i]
            return str(numbers[i - 1] + 1).zfill(len(stem)) + ext
    return None

"""Per-image standardisation and formatting of structure maps."""
import warnings
from typing import Sequence, Tuple

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS

from .joint_transforms import as_map_keys

__all__ = [
    'band_statistics', 'standardize_structure_map', 'StructureMapStandardize',
    'FormatStructureMap'
]


def band_statistics(structure_map: np.ndarray,
                    band: Tuple[float, float] = (0.1, 0.9)
                    ) -> Tuple[float, float]:
    """Mean and population std of a map's central value band.

    With ``v`` the ``n`` values of the map sorted ascending, the band is
    ``B = v[floor(band[0]·n) : floor(band[1]·n)]`` (at least one value).
    The std is exactly 0 when ``min(B) == max(B)`` (zero spread: an all-zero
    or constant map, or one whose band is flat).

    Returns:
        tuple[float, float]: ``(mean(B), std(B))``.
    """
    values = np.sort(structure_map, axis=None).astype(np.float64)
    lo = int(band[0] * values.size)
    hi = max(int(band[1] * values.size), lo + 1)
    values = values[lo:hi]
    if values[0] == values[-1]:
        return float(values[0]), 0.0
    return float(values.mean()), float(values.std())


def standardize_structure_map(structure_map: np.ndarray,
                              band: Tuple[float, float] = (0.1, 0.9),
                              eps: float = 1e-6) -> np.ndarray:
    """Standardise a map with the statistics of its central value band.

    With ``B`` the band of :func:`band_statistics`::

        s' = (s - mean(B)) / (std(B) + eps)   if std(B) > 0
        s' = 0                                 if std(B) = 0 (degenerate)

    applied to the WHOLE map (values outside the band included); ``std`` is
    the population standard deviation.  A degenerate map (zero spread in
    the band: all zeros, constant, or a flat band with outliers) carries no
    structure and becomes all zeros instead of ``(s - mean) / eps``.  The
    SG-MIM authors' code uses the same band slice and divides by
    ``sqrt(var_unbiased(B) + eps)``: for a 192x192 map the two differ by a
    relative ~2e-5 (unless std(B) ~ 0).

    Args:
        structure_map (np.ndarray): Map of any shape.
        band (tuple[float, float]): Quantile fractions of the band,
            ``0 <= band[0] < band[1] <= 1``. Defaults to (0.1, 0.9).
        eps (float): Added to the band's std. Defaults to 1e-6.

    Returns:
        np.ndarray: float32 array of the input's shape.

    Example:
        >>> s = np.arange(10, dtype=np.float32)  # band = 1..8
        >>> standardize_structure_map(s)[[0, 9]].round(3)
        array([-1.964,  1.964], dtype=float32)
    """
    return _standardize(structure_map, *band_statistics(structure_map, band),
                        eps)


def _standardize(structure_map: np.ndarray, mean: float, std: float,
                 eps: float) -> np.ndarray:
    if std == 0:
        return np.zeros(structure_map.shape, np.float32)
    return ((structure_map - mean) / (std + eps)).astype(np.float32)


@TRANSFORMS.register_module()
class StructureMapStandardize(BaseTransform):
    """Per-image band standardisation of structure maps (SG-MIM):
    ``s' = (s - mean(B)) / (std(B) + eps)`` with ``B`` the sorted values
    between the ``band`` quantiles, and ``s' = 0`` for a degenerate map
    (``std(B) = 0``); see :func:`standardize_structure_map`.

    A degenerate map is flagged in ``<key>_degenerate`` and warned about,
    naming the map (``<key>_path``) and its image (``img_path``).  Pack the
    flag into the data samples (``PackInputs(meta_keys=[...,
    'structure_map_degenerate'])``) for :class:`DegenerateStructureMapHook`
    to count it per epoch in the main process.

    **Required Keys:** ``*map_keys`` (np.ndarray).

    **Modified Keys:** ``*map_keys`` (np.float32, same shape).

    **Added Keys:** ``<key>_degenerate`` (bool) for each of ``map_keys``.

    Args:
        band (tuple[float, float]): Quantile fractions of the band whose
            mean and std are used. Defaults to (0.1, 0.9).
        eps (float): Added to the band's std. Defaults to 1e-6.
        map_keys (Sequence[str]): Maps to standardise.
            Defaults to ('structure_map',).
    """

    def __init__(self,
                 band: Tuple[float, float] = (0.1, 0.9),
                 eps: float = 1e-6,
                 map_keys: Sequence[str] = ('structure_map', )):
        lo, hi = band
        if not 0 <= lo < hi <= 1:
            raise ValueError(f'band: expected quantile fractions '
                             f'0 <= low < high <= 1, got {band!r}')
        if not eps > 0:
            raise ValueError(f'eps: expected a positive number, got {eps!r}')
        self.band = (float(lo), float(hi))
        self.eps = eps
        self.map_keys = as_map_keys(map_keys)

    def transform(self, results: dict) -> dict:
        """Standardise each map in ``map_keys`` and flag degenerate ones."""
        for key in self.map_keys:
            mean, std = band_statistics(results[key], self.band)
            results[key] = _standardize(results[key], mean, std, self.eps)
            results[f'{key}_degenerate'] = std == 0
            if std == 0:
                warnings.warn(
                    f'degenerate {key} {results.get(f"{key}_path")} (of '
                    f'image {results.get("img_path")}): its {self.band} '
                    f'value band has zero spread (every value {mean:g}); '
                    f'standardised to all zeros')
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(band={self.band}, eps={self.eps}, '
                f'map_keys={self.map_keys})')


@TRANSFORMS.register_module()
class FormatStructureMap(BaseTransform):
    """Turn (H, W) numpy maps into float32 tensors of shape (1, H, W).

    Put it right before ``PackInputs(algorithm_keys=[...])``: PackInputs
    stores algorithm keys as they are (only ``img`` and ``mask`` are
    converted), so after batching the model receives a list of (1, H, W)
    tensors, ready for ``torch.stack``.

    **Required Keys:** ``*map_keys`` (np.ndarray, (H, W)).

    **Modified Keys:** ``*map_keys`` (torch.float32, (1, H, W)).

    Args:
        map_keys (Sequence[str]): Maps to convert.
            Defaults to ('structure_map',).
    """

    def __init__(self, map_keys: Sequence[str] = ('structure_map', )):
        self.map_keys = as_map_keys(map_keys)

    def transform(self, results: dict) -> dict:
        """Convert each map in ``map_keys``."""
        for key in self.map_keys:
            structure_map = results[key]
            if not isinstance(structure_map,
                              np.ndarray) or structure_map.ndim != 2:
                raise TypeError(
                    f'{key!r} of image {results.get("img_path")}: expected '
                    f'a 2-D numpy array, got {type(structure_map).__name__} '
                    f'of shape {getattr(structure_map, "shape", None)}')
            results[key] = torch.from_numpy(
                np.ascontiguousarray(structure_map,
                                     dtype=np.float32))[None]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(map_keys={self.map_keys})'

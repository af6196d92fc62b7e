"""SG-MIM's selective guidance masking: an image mask and a structure mask."""
from typing import Optional

import numpy as np
import torch
from mmpretrain.datasets.transforms import SimMIMMaskGenerator
from mmpretrain.registry import TRANSFORMS

__all__ = ['random_block_mask', 'SelectiveGuidanceMaskGenerator']


def random_block_mask(rand_size: int, scale: int,
                      mask_count: int) -> np.ndarray:
    """SimMIM's block mask: ``mask_count`` of the ``rand_size**2`` mask
    patches drawn uniformly without replacement (``np.random.permutation``,
    the same draw as ``SimMIMMaskGenerator``), each repeated to a
    ``scale x scale`` block of model patches.

    Returns:
        np.ndarray: int64 array of shape ``(rand_size*scale,)*2``,
        1 = masked.
    """
    mask = np.zeros(rand_size**2, dtype=np.int64)
    mask[np.random.permutation(rand_size**2)[:mask_count]] = 1
    mask = mask.reshape(rand_size, rand_size)
    return mask.repeat(scale, axis=0).repeat(scale, axis=1)


@TRANSFORMS.register_module()
class SelectiveGuidanceMaskGenerator(SimMIMMaskGenerator):
    """Image mask ``M_I`` and structure-map mask ``M_S`` of SG-MIM.

    ``M_I`` is SimMIM's mask: ``ceil(mask_ratio · N)`` of the
    ``N = (input_size / mask_patch_size)²`` mask patches, drawn uniformly,
    at model-patch resolution. ``M_S`` (1 = the map is hidden there):

    - ``mode='complementary'`` (paper): ``M_S = 1 - M_I``; the map is
      visible exactly where the image is masked, ``M_I + M_S = 1``;
    - ``mode='random'`` (ablation): an independent draw of
      ``ceil(structure_mask_ratio · N)`` mask patches.

    **Added Keys:**

    - ``mask`` (np.ndarray int64, (S, S), ``S = input_size /
      model_patch_size``): ``M_I``, converted by ``PackInputs`` through
      ``DataSample.set_mask`` like SimMIM's.
    - ``structure_mask`` (torch.int64, (S, S)): ``M_S``, already a tensor
      because ``PackInputs`` stores algorithm keys as they are.

    Args:
        input_size (int): Side of the (square) input image. Defaults to 192.
        mask_patch_size (int): Side of a mask patch. Defaults to 32.
        model_patch_size (int): Side of a model patch (4 Swin, 16 ViT).
            Defaults to 4.
        mask_ratio (float): Image mask ratio in (0, 1). Defaults to 0.6.
        mode (str): 'complementary' or 'random'.
            Defaults to 'complementary'.
        structure_mask_ratio (float, optional): Ratio of ``M_S`` in (0, 1),
            ``mode='random'`` only. Defaults to None (``mask_ratio`` in
            random mode).
    """

    MODES = ('complementary', 'random')

    def __init__(self,
                 input_size: int = 192,
                 mask_patch_size: int = 32,
                 model_patch_size: int = 4,
                 mask_ratio: float = 0.6,
                 mode: str = 'complementary',
                 structure_mask_ratio: Optional[float] = None):
        _check_geometry(input_size, mask_patch_size, model_patch_size)
        _check_ratio('mask_ratio', mask_ratio)
        if mode not in self.MODES:
            raise ValueError(f'mode: expected one of {self.MODES}, got '
                             f'{mode!r}')
        if mode == 'complementary' and structure_mask_ratio is not None:
            raise ValueError("structure_mask_ratio: only used with "
                             "mode='random' (the complementary mask has "
                             "ratio 1 - mask_ratio)")
        if mode == 'random' and structure_mask_ratio is None:
            structure_mask_ratio = mask_ratio
        if structure_mask_ratio is not None:
            _check_ratio('structure_mask_ratio', structure_mask_ratio)
        super().__init__(input_size, mask_patch_size, model_patch_size,
                         mask_ratio)
        self.mode = mode
        self.structure_mask_ratio = structure_mask_ratio
        if mode == 'random':
            self.structure_mask_count = int(
                np.ceil(self.token_count * structure_mask_ratio))
        else:
            self.structure_mask_count = self.token_count - self.mask_count

    def transform(self, results: dict) -> dict:
        """Add ``mask`` (M_I) and ``structure_mask`` (M_S)."""
        img = results.get('img')
        if isinstance(img, np.ndarray) and \
                img.shape[:2] != (self.input_size, self.input_size):
            raise ValueError(f'image {results.get("img_path")} has size '
                             f'{img.shape[:2]}, the mask expects input_size '
                             f'{self.input_size}: crop/resize it first')
        image_mask = random_block_mask(self.rand_size, self.scale,
                                       self.mask_count)
        if self.mode == 'complementary':
            structure_mask = 1 - image_mask
        else:
            structure_mask = random_block_mask(self.rand_size, self.scale,
                                               self.structure_mask_count)
        results['mask'] = image_mask
        results['structure_mask'] = torch.from_numpy(structure_mask)
        return results

    def __repr__(self) -> str:
        return (super().__repr__()[:-1] + f", mode='{self.mode}', "
                f'structure_mask_ratio={self.structure_mask_ratio})')


def _check_ratio(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not 0 < value < 1:
        raise ValueError(f'{name}: expected a number in (0, 1), got '
                         f'{value!r}')


def _check_geometry(input_size, mask_patch_size, model_patch_size) -> None:
    for name, value in (('input_size', input_size),
                        ('mask_patch_size', mask_patch_size),
                        ('model_patch_size', model_patch_size)):
        if isinstance(value, bool) or not isinstance(value, int) \
                or value <= 0:
            raise ValueError(f'{name}: expected a positive integer, got '
                             f'{value!r}')
    if input_size % mask_patch_size:
        raise ValueError(f'input_size: {input_size} is not divisible by '
                         f'mask_patch_size {mask_patch_size}')
    if mask_patch_size % model_patch_size:
        raise ValueError(f'mask_patch_size: {mask_patch_size} is not '
                         f'divisible by model_patch_size {model_patch_size}')

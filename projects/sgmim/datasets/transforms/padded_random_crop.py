"""Random crop after a border padding that honours ``padding_mode``."""
import mmcv
from mmpretrain.datasets.transforms import RandomCrop
from mmpretrain.registry import TRANSFORMS

__all__ = ['PaddedRandomCrop']


@TRANSFORMS.register_module()
class PaddedRandomCrop(RandomCrop):
    """torchvision's ``RandomCrop(size, padding, padding_mode=...)``: pad every
    border by ``padding`` with ``padding_mode``, then crop ``crop_size`` at an
    offset drawn uniformly (``RandomCrop.rand_crop_params``).

    Why not mmpretrain's ``RandomCrop``: in mmpretrain 1.2.0 its ``padding``
    is always filled with the constant ``pad_val``; ``padding_mode`` reaches
    only the ``pad_if_needed`` padding. LUT's views (REFERENCE.md §2) use
    ``RandomCrop(224, padding=4, padding_mode='reflect')``: a 4 px *mirror*
    border, not a black one.

    For an (H, W) image and padding p the output pixel (i, j) is
    ``pad(img)[top + i, left + j]`` with ``top ~ U{0..H + 2p - h}``,
    ``left ~ U{0..W + 2p - w}``.

    **Required Keys:** img. **Modified Keys:** img, img_shape.

    Args:
        crop_size (int | Sequence[int]): Output (h, w), or a side.
        padding (int | Sequence[int], optional): Border padding, as
            ``mmcv.impad`` reads it (int, (left/right, top/bottom) or
            (left, top, right, bottom)). Defaults to None (no padding).
        pad_if_needed (bool): Also pad an image smaller than the crop.
            Defaults to False.
        pad_val (Number | Sequence[Number]): Fill of ``'constant'`` padding.
            Defaults to 0.
        padding_mode (str): 'constant', 'edge', 'reflect' (mirror without
            repeating the edge pixel, torchvision's 'reflect') or
            'symmetric'. Defaults to 'constant'.
    """

    def transform(self, results: dict) -> dict:
        """Pad with ``padding_mode``, then mmpretrain's crop (with no second
        padding)."""
        if self.padding is not None:
            results['img'] = mmcv.impad(
                results['img'],
                padding=self.padding,
                pad_val=self.pad_val,
                padding_mode=self.padding_mode)
        padding, self.padding = self.padding, None
        try:
            return super().transform(results)
        finally:
            self.padding = padding


"""SC-DepthV2's auto-rectify network: the relative rotation of a frame
pair at half resolution (mmpretrain registry)."""
from typing import Optional

from mmpretrain.registry import MODELS

from .frame_pair_resnet import FramePairResNet

__all__ = ['RectifyNet']


@MODELS.register_module()
class RectifyNet(FramePairResNet):
    """Rotation between two frames (SC-DepthV2's ``RectifyNet``).

    :class:`FramePairResNet` on the pair bilinearly resized to
    (H // 2, W // 2) (``align_corners=True``) with 3 unscaled outputs:
    ``rot = mean_{h, w}(head(ResNet(resize(cat[tgt, ref]))))`` (B, 3), Euler
    angles in radians, ``R = R_x · R_y · R_z``. The reference frame is
    pre-warped by this rotation
    (``sgmim.models.geometry.rotation_warp(ref, rot, K)``, in
    :class:`~sgmim.models.algorithms.MeSaGeometric`) before the pose and
    depth losses; the rotation-consistency and triplet losses train it.

    Args:
        depth (int): ResNet depth. Defaults to 18.
        pretrained (str, optional): Single-image ResNet checkpoint whose
            first convolution is duplicated and halved
            (:func:`~sgmim.models.depth.inflate_conv1`). Defaults to None.
        norm_cfg (dict): Norm of the ResNet. Defaults to ``dict(type='BN')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 depth: int = 18,
                 pretrained: Optional[str] = None,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            num_outputs=3, output_scale=1., input_downsample=2, depth=depth,
            norm_cfg=norm_cfg, pretrained=pretrained, init_cfg=init_cfg)

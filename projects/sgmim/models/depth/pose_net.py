"""SC-Depth's pose network: ResNet-18 on two stacked frames (mmpretrain
registry)."""
from typing import Optional

from mmpretrain.registry import MODELS

from .frame_pair_resnet import FramePairResNet

__all__ = ['PoseNet']


@MODELS.register_module()
class PoseNet(FramePairResNet):
    """Relative camera pose of a frame pair (SC-Depth's ``PoseNet``).

    :class:`FramePairResNet` with 6 outputs scaled by 0.01 at full
    resolution: ``pose = 0.01 · mean_{h, w}(head(ResNet(cat[tgt, ref])))``
    (B, 6) = ``[t_x, t_y, t_z, r_x, r_y, r_z]``, translation then Euler
    angles in radians (SC-Depth composes ``R = R_x · R_y · R_z``). The pose
    maps target-camera points into the reference camera, ``p_ref = R·p_tgt
    + t``, as the inverse warp of the target from the reference uses it.
    The reverse direction is a second forward with the frames swapped
    (``pose_net(ref, tgt)``), as SC-Depth does, not the inverse matrix.

    Args:
        depth (int): ResNet depth. Defaults to 18.
        pretrained (str, optional): Single-image ResNet checkpoint whose
            first convolution is duplicated and halved
            (:func:`~sgmim.models.depth.inflate_conv1`), e.g.
            ``'torchvision://resnet18'`` (SC-Depth's ImageNet weights).
            Defaults to None.
        norm_cfg (dict): Norm of the ResNet. Defaults to ``dict(type='BN')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 depth: int = 18,
                 pretrained: Optional[str] = None,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            num_outputs=6, output_scale=0.01, depth=depth,
            norm_cfg=norm_cfg, pretrained=pretrained, init_cfg=init_cfg)

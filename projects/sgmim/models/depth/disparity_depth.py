"""Depth network of the MeSa geometric and supervised stages: a pre-trained
encoder, an optional feature-pyramid neck and a Monodepth2-style decoder
with SC-Depth's disparity output."""
from typing import Tuple

from torch import Tensor

from .monodepth_decoder import disparity_to_depth

__all__ = ['DisparityDepthMixin']


class DisparityDepthMixin:
    """Encoder + Monodepth2 decoder predicting depth through disparity::

        feats = neck(backbone(img))       (maps at strides 4, 8, 16, 32)
        disp  = decoder(feats)            10·sigmoid(·) + 0.01, (B, 1, H, W)
        depth = 1 / disp                  in [1/10.01, 100]

    as SC-Depth's ``DepthNet`` (there with a ResNet encoder), for a model
    holding ``backbone``, ``neck`` (or None) and ``decoder`` (the MeSa
    geometric and supervised stages). The backbone is any mmpretrain
    encoder returning multi-scale maps: ``SwinTransformer`` /
    ``SwinTransformerV2`` (or the project's ``Transfer*`` variants) with
    ``out_indices=(0, 1, 2, 3)``; a plain ViT (``out_type='featmap'``, four
    ``out_indices``) needs a ``neck`` that makes the stride-4…32 pyramid,
    e.g. ``dict(type='mmseg.MultiLevelNeck', in_channels=[C] * 4,
    out_channels=C, scales=[4, 2, 1, 0.5])`` (the UperNet ViT transfer
    configs' neck).

    State-dict keys are ``backbone.*`` (the encoder as in every transfer
    config of the project), ``neck.*`` and ``decoder.*``. A previous stage's
    encoder therefore loads through the backbone's own ``init_cfg``, the one
    config key ``model.backbone.init_cfg.checkpoint``::

        backbone=dict(type='TransferSwinTransformerV2', ...,
                      out_indices=(0, 1, 2, 3),
                      init_cfg=dict(type='Pretrained', checkpoint=PATH,
                                    prefix='backbone.', strict=True))

    (:class:`~sgmim.models.utils.OptionalPretrainedInit`; the ``backbone.``
    entries load the same way into the next stage and into the mmseg depth
    fine-tuning configs). mmpretrain's plain ``SwinTransformerV2`` deletes
    incoming window buffers on load and reports them missing: the stage
    configs use ``TransferSwinTransformerV2``.

    Inputs are normalised images; the image size must be divisible by the
    decoder's deepest stride (32).
    """

    def extract_feat(self, img: Tensor) -> Tuple[Tensor, ...]:
        """The decoder's input maps: ``neck(backbone(img))``."""
        feats = self.backbone(img)
        if self.neck is not None:
            feats = self.neck(feats)
        return tuple(feats)

    def predict_disparity(self, img: Tensor) -> Tensor:
        """Disparity (B, 1, H, W) of images ``img`` (B, 3, H, W)."""
        name = type(self).__name__
        stride = self.decoder.out_stride
        if img.dim() != 4 or img.shape[2] % stride or img.shape[3] % stride:
            raise ValueError(
                f'{name}: images must be (B, C, H, W) with H and W '
                f'divisible by the deepest stride {stride}, got '
                f'{tuple(img.shape)}')
        disp = self.decoder(self.extract_feat(img))
        if disp.shape[2:] != img.shape[2:]:
            raise ValueError(
                f'{name}: the decoder output {tuple(disp.shape)} does not '
                f'match the input {tuple(img.shape)}: the decoder\'s '
                f'in_strides {self.decoder.in_strides} are not the strides '
                'of the encoder (and neck) outputs')
        return disp

    def predict_depth(self, img: Tensor) -> Tensor:
        """Depth ``1 / disparity`` (B, 1, H, W) of images (B, 3, H, W)."""
        return disparity_to_depth(self.predict_disparity(img))

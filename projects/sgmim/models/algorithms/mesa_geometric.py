"""MeSa stage 2, geometric pre-training (SC-DepthV2's self-supervision on
unlabelled video; REFERENCE.md §4).

For a snippet (target frame ``I_t``, references ``I_r``) with intrinsics
``K``::

    D_t, D_r = depth_net(I_t), depth_net(I_r')        (disparity, 1 / disp)
    P_tr, P_rt = pose_net(I_t, I_r'), pose_net(I_r', I_t)
    L = L_photo + 0.1 · L_geometry + 0.1 · L_smooth
        + 1 · L_rot_consistency + 1 · L_rot_triplet  (rectification on)

with ``PhotometricGeometryLoss`` (both directions, auto-mask,
self-discovered mask, per-pixel selection) and SC-DepthV2's auto-rectify
network: ``r1 = rect(I_t, I_r)``, ``I_r' = rotation_warp(I_r, r1)``,
``r2 = rect(I_t, I_r')``, and a rotation ``r* = r1`` (detached) when
0.02 < mean|r1| < 0.1, else uniform in ±0.05, that the network recovers from
``rect(rotation_warp(I_r, r*), I_r)``.

Why an mmpretrain self-supervisor: this is a pre-training stage whose
product is an encoder for the transfer suite. ``BaseSelfSupervisor`` runs
in the same runner and data preprocessor (``SelfSupDataPreprocessor``
normalises each frame of the list ``[I_t, I_r...]`` as a view) as the
masked stage before it, and its ``backbone.*`` state-dict entries load into
the next stage and the mmseg depth fine-tuning configs with the transfer
suite's ``prefix='backbone.'``. mmseg's ``DepthEstimator`` is a supervised
segmentor with no place for a pose network or a list of frames.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor, nn

from mmpretrain.models import BaseSelfSupervisor
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from ..depth.disparity_depth import DisparityDepthMixin
from ..geometry import rotation_warp

#: SC-DepthV2: r1 supervises the rectifier while mean|r1| is in this range
ROTATION_TARGET_RANGE = (0.02, 0.1)
#: ... else a random rotation, uniform in ±RANDOM_ROTATION
RANDOM_ROTATION = 0.05


@MODELS.register_module()
class MeSaGeometric(DisparityDepthMixin, BaseSelfSupervisor):
    """MeSa's geometric stage (module docstring).

    Args:
        backbone (dict): The encoder, multi-scale maps at strides 4..32
            (``TransferSwinTransformerV2`` with ``out_indices=(0, 1, 2, 3)``
            and the previous stage's checkpoint in its ``init_cfg``).
        decoder (dict): ``MonodepthDecoder``.
        pose_net (dict): ``PoseNet``.
        loss (dict): ``PhotometricGeometryLoss`` (the reference weights by
            default).
        rectify_net (dict, optional): ``RectifyNet``; None switches the
            rectification off (SC-Depth V1 / V3). Defaults to None.
        rectify_loss (dict): ``RotationRectificationLoss``, used with the
            rectifier.
        neck (dict, optional): Between the encoder and the decoder (a ViT's
            pyramid neck). Defaults to None.
        data_preprocessor (dict, optional): ``SelfSupDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 decoder: dict,
                 pose_net: dict,
                 loss: dict = dict(type='PhotometricGeometryLoss'),
                 rectify_net: Optional[dict] = None,
                 rectify_loss: dict = dict(type='RotationRectificationLoss'),
                 neck: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(backbone=backbone, neck=neck,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if not hasattr(self, 'neck'):
            self.neck = None
        self.decoder = MODELS.build(decoder)
        self.pose_net = MODELS.build(pose_net)
        self.loss_module = MODELS.build(loss)
        self.rectify_net = (MODELS.build(rectify_net)
                            if rectify_net is not None else None)
        self.rectify_loss = (MODELS.build(rectify_loss)
                             if rectify_net is not None else None)

    def loss(self, inputs: Sequence[Tensor],
             data_samples: List[DataSample]) -> Dict[str, Tensor]:
        """``loss_photo``, ``loss_geometry``, ``loss_smooth`` and, with the
        rectifier, ``loss_rot_consistency`` / ``loss_rot_triplet`` (and the
        logged ``rot_before`` / ``rot_after``, mean |r1| and |r2|)."""
        return self._geometric_losses(inputs, data_samples)[0]

    def _geometric_losses(
            self, inputs: Sequence[Tensor], data_samples: List[DataSample],
            return_confidence: bool = False
    ) -> Tuple[Dict[str, Tensor], Tensor, Optional[Tensor]]:
        """The losses, the target depth (B, 1, H, W) and, when asked for,
        the photometric loss's confidence map."""
        tgt, refs = split_snippet(inputs)
        intrinsics = stack_field(data_samples, 'intrinsics', tgt)
        losses = {}
        if self.rectify_net is not None:
            refs, rectification = self._rectify(tgt, refs, intrinsics)
            losses.update(rectification)
        # one encoder pass over all frames (per-image norms: the same maps
        # as one pass per frame)
        depths = self.predict_depth(torch.cat([tgt, *refs])).chunk(
            1 + len(refs))
        poses = [self.pose_net(tgt, ref) for ref in refs]
        poses_inv = [self.pose_net(ref, tgt) for ref in refs]
        out = self.loss_module(tgt, refs, depths[0], list(depths[1:]), poses,
                               poses_inv, intrinsics,
                               return_confidence=return_confidence)
        photometric, confidence = out if return_confidence else (out, None)
        losses.update(photometric)
        return losses, depths[0], confidence

    def _rectify(self, tgt: Tensor, refs: Sequence[Tensor],
                 intrinsics: Tensor) -> Tuple[List[Tensor], Dict]:
        """SC-DepthV2's rectification: the pre-warped references and the
        rotation losses (module docstring)."""
        warped_refs, before, after, predicted, targets = [], [], [], [], []
        low, high = ROTATION_TARGET_RANGE
        for ref in refs:
            rot1 = self.rectify_net(tgt, ref)
            warped = rotation_warp(ref, rot1, intrinsics)[0]
            rot2 = self.rectify_net(tgt, warped)
            if low < float(rot1.detach().abs().mean()) < high:
                target, source = rot1.detach(), warped.detach()
            else:
                target = (torch.rand_like(rot1) - 0.5) * (2 * RANDOM_ROTATION)
                source = rotation_warp(ref, target, intrinsics)[0]
            predicted.append(self.rectify_net(source, ref))
            warped_refs.append(warped)
            before.append(rot1)
            after.append(rot2)
            targets.append(target)
        rot1, rot2 = torch.stack(before), torch.stack(after)
        losses = self.rectify_loss(rot1, rot2, torch.stack(predicted),
                                   torch.stack(targets))
        losses.update(rot_before=rot1.detach().abs().mean(),
                      rot_after=rot2.detach().abs().mean())
        return warped_refs, losses


def split_snippet(inputs: Sequence[Tensor]) -> Tuple[Tensor, List[Tensor]]:
    """``[I_t, I_r1, ...]`` (each (B, 3, H, W)) -> target, references.

    Raises:
        ValueError: Fewer than two frames, or frames of different shapes.
    """
    if isinstance(inputs, Tensor) or len(inputs) < 2:
        raise ValueError(
            'a MeSa stage takes a snippet: a list [target, ref_1, ...] of '
            '(B, 3, H, W) frames (PackSnippetInputs), got '
            f'{"a tensor" if isinstance(inputs, Tensor) else len(inputs)}')
    shapes = {tuple(frame.shape) for frame in inputs}
    if len(shapes) != 1:
        raise ValueError(f'the frames of a snippet differ in shape: {shapes}')
    return inputs[0], list(inputs[1:])


def stack_field(data_samples: List[DataSample], field: str,
                like: Tensor) -> Tensor:
    """A per-sample field stacked into a float batch on ``like``'s device.

    Raises:
        KeyError: A sample lacks the field (names the field and the image).
    """
    values = []
    for sample in data_samples:
        if field not in sample:
            raise KeyError(f'data sample of {sample.get("img_path", "?")} '
                           f'has no {field!r} (the snippet pipeline packs it:'
                           ' PackSnippetInputs)')
        values.append(torch.as_tensor(sample.get(field)))
    return torch.stack(values).to(device=like.device, dtype=torch.float32)

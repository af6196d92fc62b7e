"""LUT: learning with unmasked tokens, on MAE."""
from math import cos, pi
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.logging import MessageHub
from mmpretrain.models import BaseSelfSupervisor, CosineEMA
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

__all__ = ['LUT']

TEACHER_COVERS = ('encoder_projector', 'all')


@MODELS.register_module()
class LUT(BaseSelfSupervisor):
    """LUT (REFERENCE.md §2): MAE plus a cross-view context loss that gives
    the unmasked tokens a global target from an EMA teacher.

    Two views ``x_1, x_2`` of one image (``inputs = [view 1, view 2]``, from
    ``MultiView(num_views=[1, 1])``). One random permutation ``π`` of the N
    patches per image; ``K = int(N·(1 − mask_ratio))`` (MAE's count), view 1
    keeps the patches ``V_1 = π[:K]``, view 2 ``V_2 = π[K:2K]`` (disjoint).

    .. math::

        L = L_{MAE}(x_1, V_1) + λ·L_{ctx},\\quad
        L_{ctx} = ½[ℓ(s_2, t_1) + ℓ(s_1, t_2)],\\quad
        ℓ(s, t) = 2 − 2·\\frac{s·t}{‖s‖‖t‖}

    (ℓ averaged over the batch) with the student vectors
    ``s_v = predictor(projector(pool(Enc(x_v, V_v))))`` and the teacher's
    ``t_v = projector_T(pool(Enc_T(x_v)))`` on the FULL (unmasked) views;
    ``pool`` is the mean of the patch tokens after the encoder's final norm
    (no cls token). ``L_MAE`` is MAE's loss (the ``head``, normalised-pixel
    MSE on the masked patches of view 1) on the decoder's reconstruction.

    Teacher: an EMA copy ``θ_T ← τ_k·θ_T + (1 − τ_k)·θ``, updated once per
    training iteration before the forward (the first update copies the
    student), with ``τ_k = 1 − (1 − τ_0)·(cos(πk/T) + 1)/2`` from
    ``base_momentum`` τ_0 = 0.996 to ``end_momentum`` 1 over the T = run's
    iterations: mmpretrain's ``CosineEMA`` (its ``momentum`` is 1 − τ).
    The authors index their schedule by the optimiser step that precedes
    the update (τ of step k − 1 for update k): one iteration's shift.
    The teacher is always in eval mode (its BN layers use their running
    statistics), gets no gradient, and runs under ``torch.no_grad`` inside
    the student's autocast (same precision). Its state (parameters,
    buffers, step count) is part of the model's state dict under
    ``teacher.``, so resuming restores it exactly.

    ``teacher_covers``:

    - ``'encoder_projector'`` (paper, default): the teacher holds the
      encoder (``backbone``) and ``projector``, which is all its forward
      uses; BN running statistics are copied from the student
      (mmengine's ``update_buffers=False``).
    - ``'all'`` (the authors' code): the whole model (``backbone``,
      ``neck``, ``projector``, ``predictor``), buffers averaged too
      (``update_buffers=True``); the decoder and predictor copies are not
      used by the loss.

    Args:
        backbone (dict): ``MAEViT``; its ``mask_ratio`` sets K.
        neck (dict): ``MAEPretrainDecoder``.
        head (dict): ``MAEPretrainHead``.
        projector (dict): Linear(D→4096, no bias) → BN → ReLU →
            Linear(4096→D, no bias): mmpretrain's ``NonLinearNeck`` with
            ``with_avg_pool=False, with_last_bn=False``. ``norm_cfg
            dict(type='SyncBN')`` makes the BN synchronised under DDP
            (mmengine reverts it to BN when not distributed).
        predictor (dict): Same structure as ``projector``.
        context_loss (dict): ℓ. Defaults to
            ``CosineSimilarityLoss(shift_factor=2, scale_factor=2)``.
        context_loss_weight (float): λ. Defaults to 0.25 (ViT-B; 1.0 for
            ViT-S).
        teacher_covers (str): 'encoder_projector' or 'all'.
            Defaults to 'encoder_projector'.
        base_momentum (float): τ_0. Defaults to 0.996.
        end_momentum (float): τ at the end. Defaults to 1.0.
        momentum_iters (int, optional): T. Defaults to None: the run's
            ``max_iters`` (MessageHub), i.e. epochs × iterations per epoch
            as in the authors' code.
        teacher_update_buffers (bool, optional): Average the BN buffers
            instead of copying them. Defaults to None (False for
            'encoder_projector', True for 'all').
        data_preprocessor (dict, optional): Defaults to None
            (``SelfSupDataPreprocessor``).
        init_cfg (dict | list[dict], optional): Defaults to None.

    Raises:
        ValueError: At build, if the two visible sets cannot be disjoint
            (2K > N, a visible fraction above 50 %) or are empty, or for an
            unknown ``teacher_covers``.
    """

    #: loss-dict key of the reconstruction loss
    reconstruction_key = 'loss_mae'

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 projector: dict,
                 predictor: dict,
                 context_loss: dict = dict(
                     type='CosineSimilarityLoss',
                     shift_factor=2.0,
                     scale_factor=2.0),
                 context_loss_weight: float = 0.25,
                 teacher_covers: str = 'encoder_projector',
                 base_momentum: float = 0.996,
                 end_momentum: float = 1.0,
                 momentum_iters: Optional[int] = None,
                 teacher_update_buffers: Optional[bool] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if teacher_covers not in TEACHER_COVERS:
            raise ValueError(f'teacher_covers: expected one of '
                             f'{TEACHER_COVERS}, got {teacher_covers!r}')
        self.projector = MODELS.build(projector)
        self.predictor = MODELS.build(predictor)
        self.context_loss = MODELS.build(context_loss)
        self.context_loss_weight = context_loss_weight
        self.teacher_covers = teacher_covers
        self.num_visible, self.num_mask_patches = self._visible_count()
        if teacher_update_buffers is None:
            teacher_update_buffers = teacher_covers == 'all'
        self.teacher = _TeacherEMA(
            self._covered(),
            momentum=1 - base_momentum,
            end_momentum=1 - end_momentum,
            update_buffers=teacher_update_buffers,
            total_iters=momentum_iters)
        self.teacher.module.eval()

    # -- masks -------------------------------------------------------------
    def _visible_count(self) -> Tuple[int, int]:
        """(K, N): visible patches per view and patches per image, checked
        for two disjoint non-empty visible sets."""
        num_patches = self.backbone.num_patches
        visible = int(num_patches * (1 - self.backbone.mask_ratio))
        _check_disjoint(visible, num_patches, self.backbone.mask_ratio)
        return visible, num_patches

    def draw_visible(self, batch_size: int, device: torch.device
                     ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One permutation per image: ``(ids_shuffle, V_1, V_2)`` with
        ``V_1 = ids_shuffle[:, :K]`` and ``V_2 = ids_shuffle[:, K:2K]``.

        The permutation is ``argsort(torch.rand(B, N))``, MAEViT's draw: from
        the same generator state, ``V_1`` is the visible set MAE's
        ``random_masking`` keeps."""
        noise = torch.rand(batch_size, self.num_mask_patches, device=device)
        ids_shuffle = torch.argsort(noise, dim=1)
        k = self.num_visible
        return ids_shuffle, ids_shuffle[:, :k], ids_shuffle[:, k:2 * k]

    # -- the teacher --------------------------------------------------------
    def _covered(self) -> nn.ModuleDict:
        """The student modules the teacher averages (not registered here:
        a view of this model's own submodules)."""
        names = (('backbone', 'projector') if self.teacher_covers
                 == 'encoder_projector' else
                 ('backbone', 'neck', 'projector', 'predictor'))
        return nn.ModuleDict({name: getattr(self, name) for name in names})

    def train(self, mode: bool = True) -> 'LUT':
        """Set the student's mode; the teacher stays in eval mode."""
        super().train(mode)
        self.teacher.module.eval()
        return self

    @property
    def teacher_momentum(self) -> float:
        """τ of the next teacher update (the paper's convention)."""
        return 1 - self.teacher.momentum_at(int(self.teacher.steps))

    def update_teacher(self) -> None:
        """One EMA step of the teacher towards the current student."""
        self.teacher.update_parameters(self._covered())

    # -- forward --------------------------------------------------------------
    def extract_feat(self, inputs: torch.Tensor):
        """Encoder features of unmasked images, as MAE."""
        return self.backbone(inputs, mask=None)

    def encode(self, backbone: nn.Module, x: torch.Tensor,
               ids_keep: Optional[torch.Tensor] = None) -> torch.Tensor:
        """MAEViT's encoder on the patches ``ids_keep`` (B, K) of ``x``
        (all patches when None): patch embedding + position embedding,
        gather, cls token, blocks, final norm. Returns (B, 1 + K, C)."""
        batch = x.shape[0]
        tokens = backbone.patch_embed(x)[0]
        if tokens.shape[1] != backbone.num_patches:
            raise ValueError(f'{tuple(x.shape[-2:])} images give '
                             f'{tokens.shape[1]} patches; the encoder is '
                             f'built for {backbone.num_patches}')
        tokens = tokens + backbone.pos_embed[:, 1:, :]
        if ids_keep is not None:
            tokens = torch.gather(
                tokens, 1,
                ids_keep.unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))
        cls_token = backbone.cls_token + backbone.pos_embed[:, :1, :]
        tokens = torch.cat((cls_token.expand(batch, -1, -1), tokens), dim=1)
        for layer in backbone.layers:
            tokens = layer(tokens)
        return backbone.norm1(tokens)

    def student(self, view1: torch.Tensor, view2: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """MAE on view 1 and the pooled student tokens of both views.

        Returns:
            tuple: ``L_MAE``, pooled (B, C) of view 1 on ``V_1`` and of view
            2 on ``V_2``.
        """
        batch = view1.shape[0]
        ids_shuffle, keep1, keep2 = self.draw_visible(batch, view1.device)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        # both views in one encoder pass (tokens do not mix across images)
        latent1, latent2 = self.encode(
            self.backbone, torch.cat([view1, view2]),
            torch.cat([keep1, keep2])).split(batch)
        mask1 = torch.ones_like(ids_shuffle, dtype=view1.dtype)
        mask1[:, :self.num_visible] = 0
        mask1 = torch.gather(mask1, 1, ids_restore)  # 1 = masked
        pred = self.neck(latent1, ids_restore)
        loss_mae = self.head.loss(pred, view1, mask1)
        return loss_mae, _mean_patch_token(latent1), _mean_patch_token(
            latent2)

    def teacher_pooled(self, views: torch.Tensor) -> torch.Tensor:
        """Pooled teacher tokens (2B, C) of the full views."""
        return _mean_patch_token(self.encode(self.teacher.module.backbone,
                                             views))

    def teacher_targets(self, view1: torch.Tensor, view2: torch.Tensor
                        ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The teacher's ``t_1, t_2`` (B, C) on the full views, in one pass.

        Runs under ``torch.no_grad``: no autograd graph or saved activations
        (the main cost of LUT over MAE is this full-view forward), in the
        caller's autocast, i.e. the student's precision. Not
        ``inference_mode``: the targets enter the context loss, whose
        backward may save them (any loss that multiplies by the target
        does), which inference tensors do not allow.
        """
        with torch.no_grad():
            pooled = self.teacher_pooled(torch.cat([view1, view2]))
            return self.teacher.module.projector((pooled, ))[0].split(
                view1.shape[0])

    def loss(self, inputs: Sequence[torch.Tensor],
             data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Reconstruction loss on view 1 and the context loss.

        Args:
            inputs (list[Tensor]): ``[view 1, view 2]``, each (B, 3, H, W).
            data_samples (list[DataSample]): Unused.

        Returns:
            dict: ``loss_mae`` (L_MAE), ``loss_ctx`` (λ·L_ctx), both summed
            by mmengine, and ``ema_momentum`` (τ of this iteration's
            teacher update, logged only: mmengine sums only keys holding
            'loss').
        """
        view1, view2 = _two_views(inputs, type(self).__name__)
        momentum = self.teacher_momentum
        self.update_teacher()
        loss_rec, pooled1, pooled2 = self.student(view1, view2)
        student1 = self.predictor(self.projector((pooled1, )))[0]
        student2 = self.predictor(self.projector((pooled2, )))[0]
        teacher1, teacher2 = self.teacher_targets(view1, view2)
        loss_ctx = self.pair_loss(student1, student2, teacher1, teacher2)
        return {
            self.reconstruction_key: loss_rec,
            'loss_ctx': self.context_loss_weight * loss_ctx,
            'ema_momentum': torch.tensor(momentum, device=view1.device)
        }

    def pair_loss(self, student1: torch.Tensor, student2: torch.Tensor,
                  teacher1: torch.Tensor,
                  teacher2: torch.Tensor) -> torch.Tensor:
        """``½[ℓ(s_2, t_1) + ℓ(s_1, t_2)]``: each student view against the
        teacher's other view."""
        return (self.context_loss(student2, teacher1.detach()) +
                self.context_loss(student1, teacher2.detach())) / 2


class _TeacherEMA(CosineEMA):
    """mmpretrain's ``CosineEMA`` (``m_k = m_end − (m_end − m_0)·(cos(πk/T) +
    1)/2``, averaged ``← (1 − m)·averaged + m·source``) with two changes:

    - T is ``total_iters`` when given, else MessageHub's ``max_iters`` (as
      ``CosineEMA``), with an error naming both when neither is there;
    - the averaged tensors are re-read from the copy at each update: the
      runner moves the model to its device and swaps SyncBN/BN layers after
      it is built, which leaves ``CosineEMA``'s cached ``state_dict()``
      tensors (``update_buffers=True``) pointing at the old storage.
    """

    def __init__(self, model: nn.Module, momentum: float,
                 end_momentum: float, update_buffers: bool,
                 total_iters: Optional[int]) -> None:
        super().__init__(
            model,
            momentum=momentum,
            end_momentum=end_momentum,
            update_buffers=update_buffers)
        if total_iters is not None and total_iters <= 0:
            raise ValueError(f'momentum_iters: expected a positive number '
                             f'of iterations, got {total_iters!r}')
        self.total_iters = total_iters

    def momentum_at(self, steps: int) -> float:
        """``m`` (mmengine's convention: the weight of the source) at update
        ``steps``."""
        total = self.total_iters
        if total is None:
            total = MessageHub.get_current_instance().get_info('max_iters')
        if total is None:
            raise RuntimeError(
                "LUT's teacher momentum schedule needs its length: train "
                "with an mmengine runner (MessageHub 'max_iters') or set "
                'the model\'s momentum_iters')
        annealing = (cos(pi * steps / float(total)) + 1) / 2
        return self.end_momentum - (self.end_momentum -
                                    self.momentum) * annealing

    def avg_func(self, averaged_param: torch.Tensor,
                 source_param: torch.Tensor, steps: int) -> None:
        momentum = self.momentum_at(int(steps))
        averaged_param.mul_(1 - momentum).add_(source_param, alpha=momentum)

    def update_parameters(self, model: nn.Module) -> None:
        self.avg_parameters = (
            self.module.state_dict() if self.update_buffers else dict(
                self.module.named_parameters()))
        super().update_parameters(model)


def _check_disjoint(visible: int, total: int, mask_ratio: float) -> None:
    if visible < 1:
        raise ValueError(f'mask_ratio {mask_ratio} leaves no visible patch '
                         f'of {total}')
    if 2 * visible > total:
        raise ValueError(
            f'mask_ratio {mask_ratio}: each view keeps {visible} of {total} '
            f'patches, so the two visible sets cannot be disjoint (a '
            f'visible fraction above 50 %); use a mask ratio of at least '
            f'0.5')


def _mean_patch_token(tokens: torch.Tensor) -> torch.Tensor:
    """(B, 1 + K, C) -> (B, C): the mean of the patch tokens, cls dropped."""
    return tokens[:, 1:, :].mean(dim=1)


def _two_views(inputs, name: str) -> Tuple[torch.Tensor, torch.Tensor]:
    """``inputs`` as ``(view 1, view 2)``, or a ValueError naming the
    pipeline key that makes them."""
    hint = (f"{name} takes two views of each image: the training pipeline "
            f"needs dict(type='MultiView', num_views=[1, 1], transforms="
            f"[view_1, view_2]) before PackInputs, which makes inputs a list "
            f"[view 1, view 2] of (B, 3, H, W) batches")
    if isinstance(inputs, torch.Tensor) or len(inputs) != 2:
        got = (f'a tensor of shape {tuple(inputs.shape)}' if isinstance(
            inputs, torch.Tensor) else f'{len(inputs)} view(s)')
        raise ValueError(f'{hint}; got {got}')
    view1, view2 = inputs
    if view1.dim() != 4 or view1.shape != view2.shape:
        raise ValueError(f'{hint}; got views of shapes {tuple(view1.shape)} '
                         f'and {tuple(view2.shape)}')
    return view1, view2

"""LUT and LUT on SimMIM (REFERENCE.md §2) on tiny ViTs, against independent
computations: a hand-written cosine EMA loop, the permutation drawn from the
same generator, 2 − 2·cos on known vectors, and mmpretrain's own MAE and
SimMIM on the same views, masks and weights."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.model import revert_sync_batchnorm

import sgmim  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

D = 32
IMG = 64  # 4 x 4 patches of 16 px


def mlp():
    return dict(type='NonLinearNeck', in_channels=D, hid_channels=48,
                out_channels=D, num_layers=2, with_bias=False,
                with_last_bn=False, with_avg_pool=False,
                norm_cfg=dict(type='BN1d'))


def vit_arch():
    return dict(embed_dims=D, num_layers=1, num_heads=2,
                feedforward_channels=2 * D)


def mae_parts(mask_ratio=0.75):
    return dict(
        backbone=dict(type='MAEViT', arch=vit_arch(), img_size=IMG,
                      patch_size=16, mask_ratio=mask_ratio),
        neck=dict(type='MAEPretrainDecoder', num_patches=16, patch_size=16,
                  embed_dim=D, decoder_embed_dim=16, decoder_depth=1,
                  decoder_num_heads=2),
        head=dict(type='MAEPretrainHead', norm_pix=True, patch_size=16,
                  loss=dict(type='PixelReconstructionLoss', criterion='L2')))


def simmim_parts():
    return dict(
        backbone=dict(type='SimMIMVisionTransformer', arch=vit_arch(),
                      img_size=IMG, patch_size=16),
        neck=dict(type='SimMIMLinearDecoder', in_channels=D,
                  encoder_stride=16),
        head=dict(type='SimMIMHead', patch_size=16,
                  loss=dict(type='PixelReconstructionLoss', criterion='L1',
                            channel=3)))


def build_lut(kind='LUT', **kwargs):
    parts = mae_parts() if kind == 'LUT' else dict(
        simmim_parts(), mask_patch_size=16, mask_ratio=0.5)
    parts.update(projector=mlp(), predictor=mlp(), momentum_iters=10)
    parts.update(kwargs)
    torch.manual_seed(0)
    model = MODELS.build(dict(type=kind, **parts))
    model.init_weights()
    return model.train()


def views(batch=4, seed=1):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, 3, IMG, IMG, generator=g) for _ in range(2)]


@pytest.mark.parametrize('covers', ['encoder_projector', 'all'])
def test_teacher_is_an_independent_cosine_ema(covers):
    """After N AdamW steps the teacher equals a hand-written EMA: copy at
    update 0, then θ_T ← τ_k θ_T + (1 − τ_k) θ_k with τ_k = 1 − (1 −
    0.9)(cos(πk/T) + 1)/2 (τ_0 lowered to 0.9 so that each update shows),
    over the parameters of the covered modules -- and, for 'all', the BN
    running statistics too -- after the model's tensors were replaced as
    the runner does. No teacher tensor gets a gradient."""
    total = 8
    sync = dict(mlp(), norm_cfg=dict(type='SyncBN'))
    model = build_lut(teacher_covers=covers, base_momentum=0.9,
                      momentum_iters=total, projector=sync, predictor=sync)
    # what the runner does after building: move/convert the tensors and
    # swap SyncBN for BN (new buffer tensors, new BN modules)
    model = revert_sync_batchnorm(model.double().float())
    assert type(model.teacher.module.projector.bn0).__name__ == \
        '_BatchNormXd'
    student = [p for n, p in model.named_parameters()
               if not n.startswith('teacher.')]
    optimizer = torch.optim.AdamW(student, lr=1e-2)
    names = (('backbone', 'projector') if covers == 'encoder_projector'
             else ('backbone', 'neck', 'projector', 'predictor'))

    def tracked():
        state = {}
        for name in names:
            module = getattr(model, name)
            source = (module.state_dict() if covers == 'all' else
                      dict(module.named_parameters()))
            state.update({f'{name}.{k}': v.detach().clone()
                          for k, v in source.items()
                          if v.dtype.is_floating_point})
        return state

    expected = None
    for k in range(5):
        current = tracked()
        bn_mean = model.projector.bn0.running_mean.clone()
        if expected is None:
            expected = current
        else:
            tau = 1 - 0.1 * (math.cos(math.pi * k / total) + 1) / 2
            expected = {n: tau * expected[n] + (1 - tau) * current[n]
                        for n in expected}
        losses = model.loss(views(seed=k), None)
        assert losses['ema_momentum'].item() == pytest.approx(
            1 - 0.1 * (math.cos(math.pi * k / total) + 1) / 2)
        optimizer.zero_grad()
        sum(v for n, v in losses.items() if 'loss' in n).backward()
        optimizer.step()
        for name, param in model.teacher.named_parameters():
            assert not param.requires_grad and param.grad is None, name
    teacher = model.teacher.module.state_dict()
    assert set(expected) <= set(teacher)
    for name, value in expected.items():
        torch.testing.assert_close(teacher[name], value, rtol=1e-5,
                                   atol=1e-6, msg=name)
    assert int(model.teacher.steps) == 5
    if covers == 'encoder_projector':
        # the paper's default copies the BN statistics at each update
        assert torch.equal(model.teacher.module.projector.bn0.running_mean,
                           bn_mean)


def test_teacher_stays_in_eval_mode_and_sees_full_views():
    model = build_lut()
    model.train()
    assert not model.teacher.module.training
    assert all(not m.training for m in model.teacher.module.modules())
    seen = []
    model.teacher.module.backbone.patch_embed.register_forward_hook(
        lambda m, i, o: seen.append((torch.is_grad_enabled(), o[0].shape)))
    model.loss(views(batch=3), None)
    (grad_enabled, shape), = seen
    # both full views in one pass: 2B images, all 16 patches, no autograd
    assert not grad_enabled and shape == (6, 16, D)


def test_teacher_runs_in_the_student_precision():
    model = build_lut()
    dtypes = []
    model.teacher.module.backbone.layers[0].attn.qkv.register_forward_hook(
        lambda m, i, o: dtypes.append(o.dtype))
    model.backbone.layers[0].attn.qkv.register_forward_hook(
        lambda m, i, o: dtypes.append(o.dtype))
    with torch.autocast('cpu', dtype=torch.bfloat16):
        model.loss(views(), None)
    assert dtypes == [torch.bfloat16, torch.bfloat16]


def test_visible_sets_are_disjoint_quarters_of_one_permutation():
    model = build_lut()
    assert (model.num_visible, model.num_mask_patches) == (4, 16)
    torch.manual_seed(5)
    ids, keep1, keep2 = model.draw_visible(6, torch.device('cpu'))
    torch.manual_seed(5)
    permutation = torch.argsort(torch.rand(6, 16), dim=1)
    assert torch.equal(ids, permutation)
    assert torch.equal(keep1, permutation[:, :4])
    assert torch.equal(keep2, permutation[:, 4:8])
    for a, b in zip(keep1.tolist(), keep2.tolist()):
        assert not set(a) & set(b)

    # the loss reconstructs view 1 where V_1 is hidden, and encodes
    # view 1 on V_1 and view 2 on V_2
    seen = {}
    head_loss = model.head.loss
    encode = model.encode

    def spy_head(pred, target, mask):
        seen['mask'] = mask.clone()
        return head_loss(pred, target, mask)

    def spy_encode(backbone, x, ids_keep=None):
        if ids_keep is not None:
            seen['ids_keep'] = ids_keep.clone()
        return encode(backbone, x, ids_keep)

    model.head.loss, model.encode = spy_head, spy_encode
    torch.manual_seed(5)
    model.loss(views(batch=6), None)
    expected_mask = torch.ones(6, 16)
    expected_mask.scatter_(1, permutation[:, :4], 0.)
    assert torch.equal(seen['mask'], expected_mask)
    assert torch.equal(seen['ids_keep'],
                       torch.cat([permutation[:, :4], permutation[:, 4:8]]))


def test_context_loss_is_symmetric_two_minus_two_cos():
    """½[ℓ(s_2, t_1) + ℓ(s_1, t_2)] on hand-picked vectors, ℓ = 2 − 2cos,
    averaged over the batch; swapping the pairs gives another value."""
    model = build_lut()
    s1 = torch.tensor([[1., 0.], [0., 2.]])
    s2 = torch.tensor([[1., 1.], [3., 0.]])
    t1 = torch.tensor([[2., 0.], [0., -1.]])
    t2 = torch.tensor([[0., 5.], [1., 1.]])
    # row 0: cos(s2, t1) = 1/√2, cos(s1, t2) = 0; row 1: 0 and 1/√2
    r = 1 / math.sqrt(2)
    expected = ((2 - 2 * r + 2 - 0) / 2 + (2 - 0 + 2 - 2 * r) / 2) / 2
    assert model.pair_loss(s1, s2, t1, t2).item() == pytest.approx(expected)
    # each student view is matched with the teacher's OTHER view: with
    # t_1 ∝ s_2 and t_2 ∝ s_1 the loss is 0 (the same-view pairing: 2)
    a, b = torch.tensor([[1., 0.]]), torch.tensor([[0., 1.]])
    assert model.pair_loss(a, b, 2 * b, 3 * a).item() == pytest.approx(
        0., abs=1e-6)
    assert model.pair_loss(a, b, 3 * a, 2 * b).item() == pytest.approx(2.)
    direct = (2 - 2 * F.cosine_similarity(s2, t1) + 2 -
              2 * F.cosine_similarity(s1, t2)).mean() / 2
    assert model.pair_loss(s1, s2, t1, t2).item() == pytest.approx(
        direct.item())


def test_context_loss_weight_scales_loss_ctx():
    losses = {}
    for weight in (1.0, 0.25):
        model = build_lut(context_loss_weight=weight)
        torch.manual_seed(3)
        losses[weight] = model.loss(views(), None)
    assert losses[0.25]['loss_ctx'].item() == pytest.approx(
        0.25 * losses[1.0]['loss_ctx'].item(), rel=1e-5)
    assert 0 < losses[1.0]['loss_ctx'].item() <= 4


def test_lambda_zero_mae_loss_is_mmpretrain_mae():
    """λ = 0: LUT's loss and encoder/decoder gradients are MAE's on view 1,
    with the same weights and (same generator state) the same mask."""
    lut = build_lut(context_loss_weight=0.)
    mae = MODELS.build(dict(type='MAE', **mae_parts())).train()
    missing, unexpected = mae.load_state_dict(lut.state_dict(), strict=False)
    assert not missing and all(k.startswith(('teacher.', 'projector.',
                                             'predictor.'))
                               for k in unexpected)
    view1, view2 = views()
    torch.manual_seed(7)
    lut_losses = lut.loss([view1, view2], None)
    torch.manual_seed(7)
    mae_loss = mae.loss(view1, None)['loss']
    assert lut_losses['loss_mae'].item() == pytest.approx(mae_loss.item(),
                                                          rel=1e-5)
    sum(v for n, v in lut_losses.items() if 'loss' in n).backward()
    mae_loss.backward()
    mae_params = dict(mae.named_parameters())
    for name, param in lut.named_parameters():
        if name.startswith(('backbone.', 'neck.')) and param.requires_grad:
            torch.testing.assert_close(param.grad, mae_params[name].grad,
                                       rtol=1e-4, atol=1e-6, msg=name)


def test_lambda_zero_simmim_loss_is_mmpretrain_simmim():
    lut = build_lut('LUTSimMIM', context_loss_weight=0.)
    simmim = MODELS.build(dict(type='SimMIM', **simmim_parts())).train()
    simmim.load_state_dict(lut.state_dict(), strict=False)
    view1, view2 = views()
    torch.manual_seed(2)
    _, keep1, keep2 = lut.draw_visible(4, view1.device)
    mask1 = lut.visible_mask(keep1)
    assert mask1.shape == (4, 4, 4) and (mask1 == 0).sum((1, 2)).eq(8).all()
    assert ((lut.visible_mask(keep2) + mask1) >= 1).all()  # disjoint
    torch.manual_seed(2)
    lut_loss = lut.loss([view1, view2], None)['loss_simmim']
    samples = [DataSample().set_mask(m) for m in mask1]
    simmim_loss = simmim.loss(view1, samples)['loss']
    assert lut_loss.item() == pytest.approx(simmim_loss.item(), rel=1e-5)


@pytest.mark.parametrize('pool', ['visible', 'all'])
def test_simmim_pooling(pool):
    model = build_lut('LUTSimMIM', pool_tokens=pool)
    latent = torch.randn(2, D, 4, 4)
    mask = torch.ones(2, 4, 4)
    mask[0, 0, :2] = 0
    mask[1, 3, 3] = 0
    pooled = model._pool(latent, mask)
    if pool == 'all':
        expected = latent.mean((2, 3))
    else:
        expected = torch.stack([latent[0, :, 0, :2].mean(-1),
                                latent[1, :, 3, 3]])
    torch.testing.assert_close(pooled, expected)


def test_state_dict_restores_the_teacher_exactly():
    model = build_lut()
    for k in range(3):
        model.loss(views(seed=k), None)
    state = model.state_dict()
    assert int(state['teacher.steps']) == 3
    restored = build_lut()
    restored.load_state_dict(state)
    for name, value in model.teacher.state_dict().items():
        assert torch.equal(restored.teacher.state_dict()[name], value), name
    torch.manual_seed(4)
    a = model.loss(views(seed=9), None)
    torch.manual_seed(4)
    b = restored.loss(views(seed=9), None)
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_one_view_names_the_pipeline_key():
    model = build_lut()
    view1, _ = views()
    for bad in (view1, [view1], [view1, view1, view1]):
        with pytest.raises(ValueError, match=r"MultiView.*num_views=\[1, 1\]"):
            model.loss(bad, None)
    with pytest.raises(ValueError, match='shapes'):
        model.loss([view1, view1[:, :, :32]], None)


@pytest.mark.parametrize('kind,kwargs', [
    ('LUT', dict(backbone=mae_parts(mask_ratio=0.4)['backbone'])),
    ('LUTSimMIM', dict(mask_ratio=0.3)),
])
def test_overlapping_visible_sets_fail_at_build(kind, kwargs):
    with pytest.raises(ValueError, match='cannot be disjoint'):
        build_lut(kind, **kwargs)


def test_bad_arguments_fail_at_build():
    with pytest.raises(ValueError, match='teacher_covers'):
        build_lut(teacher_covers='encoder')
    with pytest.raises(ValueError, match='pool_tokens'):
        build_lut('LUTSimMIM', pool_tokens='cls')
    with pytest.raises(ValueError, match='mask_patch_size'):
        build_lut('LUTSimMIM', mask_patch_size=24)


def test_momentum_schedule_needs_a_length():
    model = build_lut(momentum_iters=None)
    hub = MessageHub.get_current_instance()
    previous = hub.runtime_info.pop('max_iters', None)
    try:
        with pytest.raises(RuntimeError, match='momentum_iters'):
            model.loss(views(), None)
        hub.update_info('max_iters', 20)
        assert model.teacher_momentum == pytest.approx(0.996)
    finally:
        hub.runtime_info.pop('max_iters', None)
        if previous is not None:
            hub.update_info('max_iters', previous)

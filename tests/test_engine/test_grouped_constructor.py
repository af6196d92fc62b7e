"""GroupedOptimWrapperConstructor: mmengine's per-parameter settings, fewer
groups, the same training step."""
import copy

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from torch import nn

from sgmim.engine.optimizers import merge_param_groups

PARAMWISE = dict(custom_keys={
    'norm': dict(decay_mult=0.),
    'bias': dict(decay_mult=0.),
    'head': dict(lr_mult=0.1),
})


class Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8),
                                  nn.Linear(8, 8), nn.LayerNorm(8))
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.body(x))


def wrapper_cfg(constructor=None, **optimizer):
    cfg = dict(optimizer=dict(type='AdamW', lr=1e-2, weight_decay=0.05,
                              **optimizer),
               paramwise_cfg=PARAMWISE, clip_grad=dict(max_norm=1.0))
    if constructor:
        cfg['constructor'] = constructor
    return cfg


def settings_by_name(model, optimizer):
    """name -> the hyper-parameters its group gives it (all but params)."""
    names = {id(p): n for n, p in model.named_parameters()}
    return {
        names[id(p)]: {k: v for k, v in group.items()
                       if k not in ('params', 'param_names')}
        for group in optimizer.param_groups for p in group['params']
    }


def test_same_settings_in_fewer_groups():
    model = Net()
    default = build_optim_wrapper(model, wrapper_cfg()).optimizer
    grouped = build_optim_wrapper(
        model, wrapper_cfg('GroupedOptimWrapperConstructor')).optimizer
    assert len(default.param_groups) == 10  # mmengine: one per parameter
    # body weights (decay), head weight (lr x0.1), norms and biases (no
    # decay; mmengine applies the first matching key only, 'bias' before
    # 'head', so the head bias joins them)
    assert len(grouped.param_groups) == 3
    assert settings_by_name(model, grouped) == settings_by_name(
        model, default)
    for group in grouped.param_groups:
        assert group['param_names'] == [
            n for n, p in model.named_parameters()
            if any(p is q for q in group['params'])]


@pytest.mark.parametrize('optimizer', [dict(foreach=False), dict(fused=True)])
def test_training_steps_equal_mmengines(optimizer):
    """Three clipped AdamW steps: the parameters match those trained with
    mmengine's per-parameter groups (single-tensor AdamW as reference)."""
    torch.manual_seed(0)
    reference = Net()
    model = copy.deepcopy(reference)
    ref_wrapper = build_optim_wrapper(reference,
                                      wrapper_cfg(foreach=False))
    wrapper = build_optim_wrapper(
        model, wrapper_cfg('GroupedOptimWrapperConstructor', **optimizer))
    x = torch.randn(16, 4)
    for _ in range(3):
        for net, optim_wrapper in ((reference, ref_wrapper),
                                   (model, wrapper)):
            optim_wrapper.update_params(net(x).square().mean())
    exact = optimizer.get('foreach') is False
    for (name, p), q in zip(reference.named_parameters(),
                            model.parameters()):
        if exact:
            assert torch.equal(p, q), name
        else:  # fused kernel: same update, other rounding
            assert torch.allclose(p, q, rtol=1e-5, atol=1e-6), name


def test_merge_keeps_first_appearance_order():
    a, b, c = (nn.Parameter(torch.zeros(1)) for _ in range(3))
    per_param = [dict(params=[a], lr=1.), dict(params=[b], lr=2.),
                 dict(params=[c], lr=1.)]
    groups = merge_param_groups(per_param, {id(a): 'a', id(b): 'b',
                                            id(c): 'c'})
    assert [g['param_names'] for g in groups] == [['a', 'c'], ['b']]
    assert [g['lr'] for g in groups] == [1., 2.]

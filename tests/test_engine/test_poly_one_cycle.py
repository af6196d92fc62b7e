"""PolyOneCycleLR: the epoch-based form converts every length, and bad
lengths are refused."""
import pytest
import torch

import sgmim  # noqa: F401  (registers the scheduler)
from sgmim.engine.schedulers import PolyOneCycleLR


def optimizer(lrs=(1e-3, 2.5e-4)):
    return torch.optim.SGD(
        [dict(params=[torch.nn.Parameter(torch.zeros(1))], lr=lr)
         for lr in lrs], lr=lrs[0])


def trace(scheduler, opt, steps):
    values = []
    for _ in range(steps):
        values.append([g['lr'] for g in opt.param_groups])
        scheduler.step()
    return values


def test_epoch_form_converts_rise_fall_and_span():
    """convert_to_iter_based (mmengine's runner: build_iter_from_epoch with
    the epoch length) gives the iteration form with every length x E."""
    length = 7
    by_epoch_opt, by_iter_opt = optimizer(), optimizer()
    converted = PolyOneCycleLR.build_iter_from_epoch(
        by_epoch_opt, rise_steps=3, fall_steps=2, eta_min_ratio=0.1,
        begin=1, end=7, by_epoch=True, epoch_length=length)
    direct = PolyOneCycleLR(by_iter_opt, rise_steps=3 * length,
                            fall_steps=2 * length, eta_min_ratio=0.1,
                            begin=length, end=7 * length, by_epoch=False)
    assert not converted.by_epoch
    assert (converted.begin, converted.end) == (length, 7 * length)
    assert trace(converted, by_epoch_opt, 8 * length) == trace(
        direct, by_iter_opt, 8 * length)


def test_curve_at_its_corners_per_group():
    opt = optimizer()
    values = trace(PolyOneCycleLR(opt, rise_steps=4, fall_steps=4,
                                  eta_min_ratio=0.1, power=0.9,
                                  by_epoch=False, end=10), opt, 10)
    for group, peak in enumerate((1e-3, 2.5e-4)):
        assert values[0][group] == pytest.approx(0.1 * peak)
        assert values[4][group] == pytest.approx(peak)
        assert values[6][group] == pytest.approx(
            peak * (1 - 0.9 * 0.5**0.9))
        assert values[8][group] == pytest.approx(0.1 * peak)
        assert values[9][group] == pytest.approx(0.1 * peak)


@pytest.mark.parametrize('kwargs, match', [
    (dict(rise_steps=0, fall_steps=2), 'rise_steps'),
    (dict(rise_steps=2, fall_steps=1.5), 'fall_steps'),
    (dict(rise_steps=2, fall_steps=2, eta_min_ratio=1.5), 'eta_min_ratio'),
    (dict(rise_steps=2, fall_steps=2, power=0), 'power'),
])
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PolyOneCycleLR(optimizer(), by_epoch=False, **kwargs)

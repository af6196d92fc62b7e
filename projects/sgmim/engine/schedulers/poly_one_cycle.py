"""The depth protocol's learning-rate curve: a polynomial rise from the
minimum to the peak, then a polynomial fall back, per param group.

mmengine's ``PolyLR`` decays ``(1 − s)^p`` towards one absolute ``eta_min``
for every param group, so with layer-wise lr decay every group ends at the
same floor instead of ``min_lr × lr_scale``. The curve of the authors' depth
code (SwinTransformer/MIM-Depth-Estimation ``train.py``, L184–198) is neither
``LinearLR`` nor ``PolyLR``: it rises as ``t^0.9`` and falls as
``1 − s^0.9`` (fastest right after the peak), and scales the whole value,
floor included, by each group's ``lr_scale``. No mmengine, mmseg or mmdet
scheduler has that shape (``OneCycleLR`` anneals by cosine or linearly),
hence this one.
"""
from typing import List

from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import _ParamScheduler
from mmengine.registry import PARAM_SCHEDULERS

__all__ = ['poly_one_cycle_factor', 'PolyOneCycleParamScheduler',
           'PolyOneCycleLR']


def poly_one_cycle_factor(step: int, rise_steps: int, fall_steps: int,
                          min_ratio: float, power: float) -> float:
    """Fraction of a group's peak value at ``step`` (counted from the
    scheduler's ``begin``), with r = ``min_ratio``, p = ``power``::

        f(t) = r + (1 − r)·(t / R)^p              0 ≤ t < R        (rise)
        f(t) = 1 − (1 − r)·((t − R) / F)^p        R ≤ t < R + F    (fall)
        f(t) = r                                  t ≥ R + F

    R = ``rise_steps``, F = ``fall_steps``. f(0) = r, f(R) = 1,
    f(R + F) = r: each group runs from ``r·peak`` to its peak and back.
    """
    if step < rise_steps:
        return min_ratio + (1. - min_ratio) * (step / rise_steps)**power
    if step < rise_steps + fall_steps:
        return 1. - (1. - min_ratio) * (
            (step - rise_steps) / fall_steps)**power
    return min_ratio


@PARAM_SCHEDULERS.register_module()
class PolyOneCycleParamScheduler(_ParamScheduler):
    """Set each param group's value to ``peak_g · f(t)`` of
    :func:`poly_one_cycle_factor`, where ``peak_g`` is the group's value
    when the scheduler is built (``initial_lr`` for the lr: with
    ``LayerDecayOptimWrapperConstructor``, ``max_lr × lr_scale``).

    The value is set, not multiplied into the current one: do not chain
    another scheduler of the same parameter over the same steps.

    Args:
        optimizer (Optimizer | OptimWrapper): Wrapped optimizer.
        param_name (str): Parameter to schedule.
        rise_steps (int): R, steps from the minimum to the peak (> 0).
        fall_steps (int): F, steps from the peak back to the minimum (> 0).
        eta_min_ratio (float): r, the minimum as a fraction of each group's
            peak, in [0, 1]. Defaults to 0.
        power (float): p. Defaults to 0.9 (the authors' code).
        begin (int): First step of the schedule. Defaults to 0.
        end (int): Step after the last one. Defaults to INF.
        last_step (int): Defaults to -1.
        by_epoch (bool): Whether steps are epochs. Defaults to True.
        verbose (bool): Defaults to False.
    """

    def __init__(self,
                 optimizer,
                 param_name: str,
                 rise_steps: int,
                 fall_steps: int,
                 eta_min_ratio: float = 0.,
                 power: float = 0.9,
                 begin: int = 0,
                 end: int = int(1e9),
                 last_step: int = -1,
                 by_epoch: bool = True,
                 verbose: bool = False):
        for name, value in (('rise_steps', rise_steps),
                            ('fall_steps', fall_steps)):
            if isinstance(value, bool) or not isinstance(value, int) \
                    or value <= 0:
                raise ValueError(f'{type(self).__name__}: {name} must be a '
                                 f'positive integer, got {value!r}')
        if not 0. <= eta_min_ratio <= 1.:
            raise ValueError(f'{type(self).__name__}: eta_min_ratio must be '
                             f'in [0, 1], got {eta_min_ratio!r}')
        if power <= 0:
            raise ValueError(f'{type(self).__name__}: power must be > 0, '
                             f'got {power!r}')
        self.rise_steps = rise_steps
        self.fall_steps = fall_steps
        self.eta_min_ratio = float(eta_min_ratio)
        self.power = float(power)
        super().__init__(
            optimizer,
            param_name=param_name,
            begin=begin,
            end=end,
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose)

    @classmethod
    def build_iter_from_epoch(cls, *args, rise_steps: int, fall_steps: int,
                              begin: int = 0, end: int = int(1e9),
                              by_epoch: bool = True, epoch_length=None,
                              **kwargs):
        """Epoch-based config -> iteration-based scheduler (``begin``,
        ``end``, ``rise_steps`` and ``fall_steps`` times ``epoch_length``)."""
        if not by_epoch or epoch_length is None or epoch_length <= 0:
            raise ValueError('convert_to_iter_based needs by_epoch=True and '
                             f'a positive epoch_length, got {epoch_length}')
        return cls(
            *args,
            rise_steps=rise_steps * epoch_length,
            fall_steps=fall_steps * epoch_length,
            begin=int(begin * epoch_length),
            end=int(end * epoch_length) if end != int(1e9) else end,
            by_epoch=False,
            **kwargs)

    def _get_value(self) -> List[float]:
        factor = poly_one_cycle_factor(self.last_step - self.begin,
                                       self.rise_steps, self.fall_steps,
                                       self.eta_min_ratio, self.power)
        return [base * factor for base in self.base_values]


@PARAM_SCHEDULERS.register_module()
class PolyOneCycleLR(LRSchedulerMixin, PolyOneCycleParamScheduler):
    """:class:`PolyOneCycleParamScheduler` of the learning rate.

    The depth protocol (REFERENCE §5; 25 epochs, lr 3e-5 → 5e-4 → 3e-5,
    per layer-decay group) with E iterations per epoch::

        dict(type='PolyOneCycleLR', eta_min_ratio=3e-5 / 5e-4, power=0.9,
             rise_steps=12 * E, fall_steps=12 * E, by_epoch=False,
             begin=0, end=25 * E)
    """

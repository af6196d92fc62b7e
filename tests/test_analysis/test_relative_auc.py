import doctest

import pytest

from sgmim.analysis import relative_auc as rauc_module
from sgmim.analysis import epochs_to_target as exported
from sgmim.analysis.relative_auc import epochs_to_target, rauc

EPOCHS = [0, 2, 4, 8]
BASELINE = [0., 4., 6., 6.]
CANDIDATE = [1., 5., 7., 8.]


def test_docstring_examples():
    assert doctest.testmod(rauc_module).failed == 0


@pytest.mark.parametrize('start,end', [(None, None), (100, 400), (150, 375)])
def test_linear_curves_closed_form(start, end):
    # S1 = a + b·E, S2 = c + d·E: ∫(S2 − S1(E1)) = (c − S1(E1))(E2 − E1)
    # + d(E2² − E1²)/2 and ∫(S1 − S1(E1)) = b(E2 − E1)²/2.
    a, b, c, d = 60., 0.02, 62., 0.025
    epochs = [0, 100, 200, 400]
    baseline = [a + b * e for e in epochs]
    candidate = [c + d * e for e in epochs]
    e1 = 0 if start is None else start
    e2 = 400 if end is None else end
    origin = a + b * e1
    expected = (((c - origin) * (e2 - e1) + d * (e2**2 - e1**2) / 2) /
                (b * (e2 - e1)**2 / 2))
    assert rauc(epochs, baseline, candidate, start,
                end) == pytest.approx(expected, rel=1e-12)


def test_piecewise_linear_areas():
    # Areas above S1(0) = 0: baseline 4 + 10 + 24 = 38, candidate
    # 6 + 12 + 30 = 48.
    assert rauc(EPOCHS, BASELINE, CANDIDATE) == pytest.approx(48 / 38)
    assert rauc(EPOCHS, BASELINE, BASELINE) == pytest.approx(1)


def test_start_and_end_interpolated():
    # On [1, 6]: S1(1) = 2, S1(6) = 6, S2(1) = 3, S2(6) = 7.5. Baseline area
    # above 2: 1 + 6 + 8 = 15; candidate: 2 + 8 + 10.5 = 20.5.
    assert rauc(EPOCHS, BASELINE, CANDIDATE, start=1,
                end=6) == pytest.approx(20.5 / 15)
    # Bounds on measured epochs: [2, 8], S1(2) = 4: baseline area
    # 2 + 8 = 10, candidate (1 + 3) + (3 + 4)·2 = 18.
    assert rauc(EPOCHS, BASELINE, CANDIDATE, start=2) == pytest.approx(18 / 10)


@pytest.mark.parametrize('kwargs,message', [
    (dict(epochs=[0, 4, 2, 8]), 'strictly increasing'),
    (dict(epochs=[0, 2, 2, 8]), 'strictly increasing'),
    (dict(epochs=[0]), 'at least 2'),
    (dict(baseline=[0., 4., 6.]), 'baseline has 3 values for 4 epochs'),
    (dict(candidate=[1., 5.]), 'candidate has 2 values'),
    (dict(candidate=[1., float('nan'), 7., 8.]), 'candidate holds non-finite'),
    (dict(epochs=[[0, 2, 4, 8]]), 'epochs must be 1-D'),
    (dict(start=6, end=6), 'start must be before end'),
    (dict(start=6, end=3), 'start must be before end'),
    (dict(start=-1), 'start=-1.0 lies outside'),
    (dict(end=9), 'end=9.0 lies outside'),
    (dict(start=4), 'denominator is 0'),
])
def test_errors(kwargs, message):
    args = dict(epochs=EPOCHS, baseline=BASELINE, candidate=CANDIDATE)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        rauc(**args)


# --- epochs to target ------------------------------------------------------

def test_epochs_to_target_measured_and_interpolated():
    assert exported is epochs_to_target
    # CANDIDATE = 1, 5, 7, 8 at epochs 0, 2, 4, 8; BASELINE ends at 6.
    # First point >= 6: epoch 4 (value 7); the segment 5 -> 7 over [2, 4]
    # crosses 6 halfway: 2 + (6 - 5) / (7 - 5) * 2 = 3.
    assert epochs_to_target(EPOCHS, CANDIDATE, BASELINE[-1]) == 4.0
    assert epochs_to_target(EPOCHS, CANDIDATE, 6.,
                            interpolate=True) == pytest.approx(3.0)
    # 7.25 on 7 -> 8 over [4, 8]: 4 + 0.25 * 4 = 5; a measured value equal to
    # the target reaches it there
    assert epochs_to_target(EPOCHS, CANDIDATE, 7.25,
                            interpolate=True) == pytest.approx(5.0)
    assert epochs_to_target(EPOCHS, CANDIDATE, 7., interpolate=True) == 4.0
    # reached at the first point: that epoch, nothing extrapolated
    assert epochs_to_target(EPOCHS, CANDIDATE, 0.5, interpolate=True) == 0.0
    # the first crossing counts, not a later one after a dip
    dip = [1., 6.5, 4., 9.]
    assert epochs_to_target(EPOCHS, dip, 6.) == 2.0
    assert epochs_to_target(EPOCHS, dip, 6., interpolate=True) == \
        pytest.approx(2 * 5 / 5.5)
    # the baseline reaches its own final score at the latest at its end
    assert epochs_to_target(EPOCHS, BASELINE, BASELINE[-1]) == 4.0
    assert epochs_to_target([3], [2.], 2.) == 3.0


def test_epochs_to_target_never_reached_is_none():
    assert epochs_to_target(EPOCHS, CANDIDATE, 8.01) is None
    assert epochs_to_target(EPOCHS, CANDIDATE, 8.01, interpolate=True) is None


def test_epochs_to_target_lower_is_better():
    # an error falling 1.0, 0.6, 0.5, 0.2: <= 0.3 first at epoch 8; on
    # 0.5 -> 0.2 over [4, 8]: 4 + (0.5 - 0.3) / 0.3 * 4 = 6.667
    error = [1.0, 0.6, 0.5, 0.2]
    assert epochs_to_target(EPOCHS, error, 0.3, direction='lower') == 8.0
    assert epochs_to_target(EPOCHS, error, 0.3, interpolate=True,
                            direction='lower') == pytest.approx(4 + 8 / 3)
    assert epochs_to_target(EPOCHS, error, 0.1, direction='lower') is None
    assert epochs_to_target(EPOCHS, error, 0.3) == 0.0  # 1.0 >= 0.3


@pytest.mark.parametrize('kwargs,message', [
    (dict(epochs=[0, 4, 2, 8]), 'strictly increasing'),
    (dict(epochs=[]), 'at least 1 value, got 0'),
    (dict(curve=[1., 5.]), 'curve has 2 values for 4 epochs'),
    (dict(curve=[1., float('inf'), 7., 8.]), 'curve holds non-finite'),
    (dict(epochs=[[0, 2, 4, 8]]), 'epochs must be 1-D'),
    (dict(target=float('nan')), 'target must be finite'),
    (dict(direction='up'), 'direction must be one of'),
])
def test_epochs_to_target_errors(kwargs, message):
    args = dict(epochs=EPOCHS, curve=CANDIDATE, target=6.)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        epochs_to_target(**args)

import doctest

import pytest

from sgmim.analysis import relative_auc as rauc_module
from sgmim.analysis.relative_auc import rauc

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

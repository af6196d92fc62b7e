"""The 5x pre-training study: the synth configs' whole schedule stretched
5x, and everything else as in the study whose runs it reuses."""
from pathlib import Path

import pytest
from mmengine.config import Config

from recipe_schedule import lr_trace
from sgmim.studies import study as st

STUDIES = Path(__file__).resolve().parents[2] / 'configs/synth/studies'
E = 4  # iterations per epoch


def test_5x_study_reuses_the_study_it_extends():
    base = st.load_study(STUDIES / 'sgmim_vs_simmim.py')
    long = st.load_study(STUDIES / 'sgmim_vs_simmim_5x.py')
    assert [m.name for m in long.methods] == ['random', 'SimMIM-100e',
                                              'SG-MIM-100e']
    # same random runs, depth task, data and seeds: their results are reused
    assert long.methods[0] == base.methods[0]
    assert long.tasks == [base.tasks[0]]
    assert (long.data, long.seeds, long.reference) == (
        base.data, base.seeds, base.reference)
    assert ('SG-MIM-100e', 'SimMIM-100e') in long.comparisons
    for short, stretched in zip(base.methods[1:], long.methods[1:]):
        assert stretched.config == short.config


@pytest.mark.parametrize('index', [1, 2], ids=['SimMIM', 'SG-MIM'])
def test_5x_schedule_is_the_20_epoch_one_stretched(index):
    """Warm-up 2 -> 10 epochs, cosine 18 -> 90: the cosine at iteration 5t
    of the 100-epoch run is the 20-epoch run's at t; both warm up linearly
    from 1e-3 x the peak to the peak (which mmengine's LinearLR reaches at
    its last iteration, end - 1)."""
    traces = []
    for path in ('sgmim_vs_simmim.py', 'sgmim_vs_simmim_5x.py'):
        method = st.load_study(STUDIES / path).methods[index]
        cfg = Config.fromfile(str(method.config))
        cfg.merge_from_dict(method.cfg_options)
        traces.append([lr for lr, in lr_trace(cfg, E)])
    short, long = traces
    assert len(long) == 5 * len(short) == 100 * E
    peak = max(short)
    for t in range(2 * E, 20 * E):
        assert long[5 * t] == pytest.approx(short[t], rel=1e-6), t
    for trace, warm in ((short, 2 * E), (long, 10 * E)):
        assert trace[0] == pytest.approx(1e-3 * peak)
        assert trace[warm - 1] == pytest.approx(peak)
        steps = [b - a for a, b in zip(trace[:warm - 1], trace[1:warm])]
        assert max(steps) == pytest.approx(min(steps))
    # the cosine ends at its floor (a finer step lands closer to it)
    assert long[-1] == pytest.approx(cfg.param_scheduler[1].eta_min,
                                     rel=1e-2)

"""Session fixtures: the tiny configs of ``analysis_helpers`` written to
files, and a seeded random checkpoint for each."""
import pytest
from analysis_helpers import (SEG, SWIN, SWINV2, VIT, det_config,
                              save_checkpoint, write_config)


@pytest.fixture(scope='session')
def tiny_configs(tmp_path_factory):
    """Paths of the tiny configs by name: vit, swin, swinv2, seg, det."""
    folder = tmp_path_factory.mktemp('configs')
    return dict(vit=write_config(folder, 'vit.py', VIT),
                swin=write_config(folder, 'swin.py', SWIN),
                swinv2=write_config(folder, 'swinv2.py', SWINV2),
                seg=write_config(folder, 'seg.py', SEG),
                det=write_config(folder, 'det.py', det_config()))


@pytest.fixture(scope='session')
def tiny_checkpoints(tiny_configs, tmp_path_factory):
    """A checkpoint (random weights, seeded) per tiny config."""
    from sgmim.analysis.loading import build_model
    from sgmim.utils.run_config import load_config
    folder = tmp_path_factory.mktemp('checkpoints')
    out = {}
    for i, (name, config) in enumerate(tiny_configs.items()):
        model = build_model(load_config(config))
        out[name] = save_checkpoint(model, folder / f'{name}.pth', seed=i)
    return out

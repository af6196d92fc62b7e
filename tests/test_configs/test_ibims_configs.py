"""The iBims-1 test configs resolve to their parent's model with the iBims
data and metric only (nothing of the NYU test set merged in), and the synth
one reads a generated ibims/ subset."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS, METRICS

import sgmim  # noqa: F401
from sgmim.datasets.synthscenes import generate

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
PAIRS = [
    ('benchmarks/depth_ood/'
     'glpdepth_swinv2-base-w30_nyu-480x480_ibims1-640x480.py',
     'benchmarks/glpdepth/glpdepth_swinv2-base-w30_8xb3-25e_nyu-480x480.py',
     'data/ibims1'),
    ('synth/glpdepth_swin-nano-w3_1xb4-200it_synthscenes-nyu-96x96_'
     'ibims-160x120.py',
     'synth/glpdepth_swin-nano-w3_1xb4-200it_synthscenes-nyu-96x96.py',
     'data/synthscenes/ibims'),
]


@pytest.mark.parametrize('config,parent,root', PAIRS,
                         ids=[Path(p[0]).name for p in PAIRS])
def test_ibims_config_is_its_parent_with_ibims_test_data(config, parent,
                                                         root):
    cfg = Config.fromfile(str(CONFIGS / config))
    base = Config.fromfile(str(CONFIGS / parent))
    assert cfg.model == base.model  # the checkpoint's own architecture
    assert cfg.train_dataloader == base.train_dataloader
    dataset = cfg.test_dataloader.dataset
    assert dict(dataset, pipeline=None) == dict(
        type='IBimsDataset', data_root=root, ann_file='imagelist.txt',
        data_format='mat', pipeline=None)
    assert [t.type for t in dataset.pipeline] == ['LoadIBimsSample',
                                                  'PackSegInputs']
    assert 'ibims_gt' in dataset.pipeline[1].meta_keys
    assert cfg.test_evaluator == dict(type='IBimsMetric')


def test_synth_config_reads_the_generated_subset(tmp_path):
    config, _, _ = PAIRS[1]
    cfg = Config.fromfile(str(CONFIGS / config))
    generate(tmp_path, seed=0, subsets='ibims', num_ibims=1,
             sizes={'ibims': (48, 36)}, show_progress=False)
    init_default_scope('mmseg')
    dataset = DATASETS.build(
        dict(cfg.test_dataloader.dataset, data_root=str(tmp_path / 'ibims')))
    sample = dataset[0]['data_samples']
    sample.pred_depth_map = sample.gt_depth_map.clone()
    metric = METRICS.build(cfg.test_evaluator)
    metric.process(None, [sample.to_dict()])
    result = metric.compute_metrics(metric.results)
    assert result['abs_rel'] == 0.0 and result['d1'] == 1.0
    assert result['pe_plan'] < 1e-3 and result['pe_orient'] < 1e-3

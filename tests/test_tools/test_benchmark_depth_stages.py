"""The MeSa stages / depth fine-tuning benchmark: its batches, the structure
of its measurements and the markdown section it writes. No timing value is
asserted (the numbers live in docs/benchmarks.md)."""
import importlib.util
import json
import statistics

import pytest
import torch
from tool_helpers import TOOLS

from sgmim.benchmarking import depth_stages as ds

_SPEC = importlib.util.spec_from_file_location(
    'benchmark_depth_stages',
    TOOLS / 'analysis_tools' / 'benchmark_depth_stages.py')
tool = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(tool)
_, SYNTH, _, _ = tool.PRESETS['synth-swinv2-nano']


def test_stage_batches_share_the_frames():
    cfgs = [tool.load_config(path) for path in SYNTH.values()]
    assert [ds.model_kind(c) for c in cfgs] == ['depth', 'stage', 'stage']
    # nothing downloaded: no ImageNet weights for the frame-pair nets
    assert cfgs[1].model.pose_net.pretrained is None
    assert cfgs[1].model.rectify_net.pretrained is None
    depth, geometric, supervised = ds.stage_batches(cfgs, 2, 32, 64)
    frames, samples = geometric
    assert supervised is geometric and len(frames) == 3
    assert all(f.shape == (2, 3, 32, 64) for f in frames)
    assert depth[0] is frames[0]  # the fine-tuning sees the target frames
    for sample in samples:
        assert torch.equal(sample.intrinsics, torch.tensor(
            [[64., 0., 32.], [0., 64., 16.], [0., 0., 1.]]))
        assert sample.pseudo_depth.shape == (3, 32, 64)
        assert 0.5 <= float(sample.pseudo_depth.min())
        assert float(sample.pseudo_depth.max()) <= 10.
    for sample in depth[1]:
        assert sample.gt_depth_map.data.shape == (1, 32, 64)
        assert sample.metainfo['img_shape'] == (32, 64)


def test_the_baseline_must_be_a_fine_tuning():
    stages = {k: tool.load_config(v) for k, v in list(SYNTH.items())[1:]}
    with pytest.raises(ValueError, match="baseline 'stage 2 .geometric.' "
                       'must be a depth fine-tuning config'):
        ds.benchmark_stages(stages, 1, 32, 32, iters=1)


def test_tool_measures_and_writes_its_section(tmp_path):
    out, raw = tmp_path / 'benchmarks.md', tmp_path / 'raw.json'
    out.write_text('# Benchmarks\n\nkept\n')
    tool.main(['--presets', 'synth-swinv2-nano', '--batch-size', '2',
               '--img-size', '64', '64', '--iters', '2', '--warmup', '0',
               '--breakdown-iters', '1', '--threads', '1', '--no-progress',
               '--out', str(out), '--json', str(raw)])
    result = json.loads(raw.read_text())['synth-swinv2-nano']
    assert (result['batch_size'], result['height'], result['width']) == \
        (2, 64, 64)
    models = result['models']
    base = models['fine-tuning (GLPDepth)']
    assert list(models) == list(SYNTH)
    for name, entry in models.items():
        total = entry['times']['total']
        assert len(total) == 2
        assert entry['iters_per_s'] == pytest.approx(
            1e3 / statistics.median(total))
        paired = [c / b for b, c in zip(base['times']['total'], total)]
        assert entry['ratio']['wall']['paired']['median'] == pytest.approx(
            statistics.median(paired))
        assert entry['ratio']['memory'] == pytest.approx(
            entry['memory']['peak'] / base['memory']['peak'])
    assert base['ratio']['wall']['paired']['median'] == pytest.approx(1.)
    parts = {name: set(entry['breakdown']) for name, entry in models.items()}
    assert {'encoder', 'depth head'} <= parts['fine-tuning (GLPDepth)']
    assert {'encoder', 'depth decoder', 'pose net', 'rectification net',
            'photometric + geometry loss'} <= parts['stage 2 (geometric)']
    assert 'rectification net' not in parts['stage 3 (supervised)']
    assert 'pseudo-depth losses' in parts['stage 3 (supervised)']
    text = out.read_text()
    assert text.startswith('# Benchmarks\n\nkept\n')
    assert '<!-- BEGIN benchmark_depth_stages:synth-swinv2-nano -->' in text
    assert '| stage 2 (geometric) | `configs/synth/mesa-geometric_' in text
    assert ('--presets synth-swinv2-nano --batch-size 2 --img-size 64 64 '
            '--iters 2') in text

"""The CKA memory benchmark on a tiny run: the section it writes, and its
numbers against independent bounds. No timing value is asserted (the target
lives in docs/benchmarks.md, never in tests)."""
import json

import cv2
import numpy as np
import torch
from tool_helpers import CONFIGS, load_tool, run_tool

VIT = str(CONFIGS /
          'synth/sgmim_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py')
SIZES = (8, 32)


def test_benchmark_cka_writes_its_section(tmp_path):
    img_dir = tmp_path / 'images'
    img_dir.mkdir()
    rng = np.random.default_rng(0)
    for i in range(SIZES[-1]):
        cv2.imwrite(str(img_dir / f'{i:02d}.jpg'),
                    rng.integers(0, 256, (100, 120, 3), dtype=np.uint8))
    out = tmp_path / 'benchmarks.md'
    out.write_text('# Benchmarks\n\nHand-written text.\n\n'
                   '<!-- BEGIN benchmark_cka:vit -->\nstale numbers\n'
                   '<!-- END benchmark_cka:vit -->\n\nAfter.\n')
    raw = tmp_path / 'cka.json'
    run_tool('analysis_tools/benchmark_cka.py', '--model', 'vit', VIT,
             'random', '--num-images', *map(str, SIZES), '--batch-size', '4',
             '--img-dir', img_dir, '--device', 'cpu', '--threads', '1',
             '--out', out, '--json', raw, cwd=tmp_path)

    text = out.read_text()
    assert text.startswith('# Benchmarks\n\nHand-written text.\n')
    assert text.rstrip().endswith('After.')
    section = text.split('<!-- BEGIN benchmark_cka:vit -->')[1].split(
        '<!-- END benchmark_cka:vit -->')[0]
    assert 'stale numbers' not in section
    assert '**Target:' in section and ': met (at most 1.00×' in section
    assert 'Reproduce: `python tools/analysis_tools/benchmark_cka.py' in \
        section
    rows = [line for line in section.splitlines()
            if line.startswith(('| 8 |', '| 32 |'))]
    assert len(rows) == 2

    result = json.loads(raw.read_text())['vit']
    runs = result['runs']
    assert result['layers'] == ['backbone.layers.0', 'backbone.layers.1']
    assert result['feature_sizes'] == [36 * 64, 36 * 64]  # 6x6 tokens x 64
    acc, full = runs['minibatch'], runs['full_batch']
    assert [r['images'] for r in acc] == [r['images'] for r in full] == \
        list(SIZES)
    # the tool allocates the same per batch whatever the number of images
    assert acc[0]['peak'] > 0
    assert abs(acc[-1]['peak_ratio'] - 1) < 0.02
    # the baseline holds every representation, and its concatenation, at
    # once: at least 2 x images x values x 4 bytes; so it grows
    kept = SIZES[-1] * sum(result['feature_sizes']) * 4
    assert full[-1]['peak'] >= 2 * kept
    assert full[-1]['peak_ratio'] > 1.2
    for run in (*acc, *full):
        assert run['wall_images_per_s'] > 0 and run['cpu_images_per_s'] > 0
        assert np.isclose(run['wall_images_per_s'] * run['wall_s'],
                          run['images'])
    # full-batch CKA of a layer with itself is 1
    assert np.allclose(np.diag(full[-1]['matrix']), 1)

    # the benchmarked path is the tool's: its own run on the same images
    # gives the same matrix
    cka_tool = load_tool('analysis_tools/cka_similarity.py')
    result_dir = tmp_path / 'tool'
    cka_tool.main([VIT, 'random', '--img-dir', str(img_dir), '--num-images',
                   str(SIZES[-1]), '--batch-size', '4', '--device', 'cpu',
                   '--out-dir', str(result_dir)])
    tool = json.loads((result_dir / 'cka.json').read_text())
    torch.testing.assert_close(torch.tensor(tool['matrix']),
                               torch.tensor(acc[-1]['matrix']), rtol=1e-9,
                               atol=1e-12)

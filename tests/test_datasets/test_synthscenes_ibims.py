"""The SynthScenes ibims/ subset: exact plane ground truth, both iBims-1
variants, and no effect on the other subsets or the default manifest."""
import json

import numpy as np
import pytest

from sgmim.datasets import read_ibims_mat, read_ibims_raw
from sgmim.datasets.ibims_files import ibims_raw_paths
from sgmim.datasets.synthscenes import (DEFAULT_SUBSETS, SUBSETS,
                                        GenerateOptions, generate,
                                        render_dataset_view)
from sgmim.datasets.synthscenes.__main__ import main as cli
from sgmim.evaluation import planarity_errors

IBIMS = dict(num_ibims=2, sizes={'ibims': (64, 48), 'nyu': (32, 24)},
             num_train=1, num_val=1)


def files(root):
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob('*')) if p.is_file()}


@pytest.fixture(scope='module')
def ibims_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('synth')
    manifest = generate(root, seed=0, subsets='ibims', show_progress=False,
                        **IBIMS)
    return root, manifest


def test_ground_truth_depth_has_zero_planarity_error(ibims_root):
    root, manifest = ibims_root
    names = (root / 'ibims' / 'imagelist.txt').read_text().split()
    assert len(names) == 2 and manifest['counts']['ibims'] == {'test': 2}
    evaluated = 0
    for index, name in enumerate(names):
        sample = read_ibims_mat(str(root / 'ibims' / 'ibims1_core_mat' /
                                    f'{name}.mat'))
        assert sample.depth.shape == (48, 64)
        assert sample.mask_invalid.all() and sample.mask_transp.all()
        assert sample.edges.any()
        for kind, planes in sample.planes.items():
            errors = planarity_errors(sample.depth, sample.depth,
                                      planes.labels, planes.normals,
                                      sample.calib)
            for error in filter(None, errors):
                evaluated += 1
                assert error.plan < 1e-3 and error.orient < 1e-3
        # the floor normal is the world's up axis seen from the camera
        _, view = render_dataset_view(manifest, 'ibims', 'test', index)
        up = view['pose'][:3, :3].T @ np.array([0.0, 1.0, 0.0])
        floor = sample.planes['floor']
        if floor.normals.size:
            np.testing.assert_allclose(floor.normals[0],
                                       [up[0], up[2], -up[1]], atol=1e-6)
        # the PNG variant: same annotations, depth quantised to 50/65535 m
        raw = read_ibims_raw(ibims_raw_paths(
            str(root / 'ibims' / 'ibims1_core_raw'), name))
        np.testing.assert_array_equal(raw.rgb, sample.rgb)
        np.testing.assert_allclose(raw.depth, sample.depth, atol=0.5 * 50 /
                                   65535 + 1e-6)
        np.testing.assert_allclose(raw.calib, sample.calib)
        for kind in sample.planes:
            np.testing.assert_array_equal(raw.planes[kind].labels,
                                          sample.planes[kind].labels)
            np.testing.assert_allclose(raw.planes[kind].normals,
                                       sample.planes[kind].normals,
                                       atol=1e-8)
    assert evaluated >= 4


def test_adding_ibims_leaves_other_subsets_and_defaults_alone(
        ibims_root, tmp_path):
    root, _ = ibims_root
    alone = generate(tmp_path / 'a', seed=0, subsets='nyu',
                     show_progress=False, **IBIMS)
    both = generate(tmp_path / 'b', seed=0, subsets='nyu,ibims',
                    show_progress=False, **IBIMS)
    assert files(tmp_path / 'a' / 'nyu') == files(tmp_path / 'b' / 'nyu')
    # its own stream: the same ibims files with or without nyu
    assert files(tmp_path / 'b' / 'ibims') == files(root / 'ibims')
    # the count is recorded only when the subset is generated
    assert 'num_ibims' not in alone['options']
    assert both['options']['num_ibims'] == 2
    assert 'ibims' not in DEFAULT_SUBSETS and 'ibims' in SUBSETS
    assert GenerateOptions().subsets == DEFAULT_SUBSETS
    assert GenerateOptions(subsets='all').subsets == SUBSETS
    assert 'num_ibims' not in GenerateOptions().content_dict()


def test_cli_writes_the_ibims_subset(tmp_path):
    assert cli(['--out', str(tmp_path), '--subsets', 'ibims', '--num-ibims',
                '1', '--size', 'ibims', '32', '24', '--quiet']) == 0
    manifest = json.loads((tmp_path / 'synthscenes.json').read_text())
    assert manifest['options']['subsets'] == ['ibims']
    assert len((tmp_path / 'ibims' / 'imagelist.txt').read_text().split()
               ) == 1

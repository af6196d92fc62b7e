"""Atomic JSON/figure writing and the all-or-nothing output folder."""
import json
import math
import os

import numpy as np
import pytest
import torch

from sgmim.analysis.outputs import (OutputDir, save_figure_atomic,
                                    to_jsonable, write_json_atomic)
from sgmim.analysis.plotting import new_figure


def test_json_values_and_no_leftovers(tmp_path):
    path = tmp_path / 'sub' / 'm.json'
    write_json_atomic(str(path), dict(
        t=torch.tensor([1.5, 2.0]), a=np.arange(2), s=np.float32(0.5),
        bad=math.nan, nested=[(1, torch.tensor(3))]))
    assert json.loads(path.read_text()) == dict(
        t=[1.5, 2.0], a=[0, 1], s=0.5, bad=None, nested=[[1, 3]])
    assert os.listdir(tmp_path / 'sub') == ['m.json']
    assert to_jsonable({1: math.inf}) == {'1': None}


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / 'm.json'
    write_json_atomic(str(path), [1])
    with pytest.raises(TypeError):
        write_json_atomic(str(path), [object()])
    assert json.loads(path.read_text()) == [1]
    assert os.listdir(tmp_path) == ['m.json']


def test_figure_is_a_png(tmp_path):
    fig, (ax, ) = new_figure()
    ax.plot([0, 1], [1, 0])
    save_figure_atomic(fig, str(tmp_path / 'f.png'))
    assert (tmp_path / 'f.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert os.listdir(tmp_path) == ['f.png']


def test_output_dir_all_or_nothing(tmp_path):
    out = tmp_path / 'run'
    with OutputDir(str(out)) as staged:
        staged.write_json('m.json', {'v': 1})
        fig, _ = new_figure()
        staged.save_figure('m.png', fig)
        assert not out.exists()
    assert sorted(os.listdir(out)) == ['m.json', 'm.png']
    with pytest.raises(RuntimeError, match='boom'):
        with OutputDir(str(out)) as staged:
            staged.write_json('m.json', {'v': 2})
            staged.write_json('other.json', {})
            raise RuntimeError('boom')
    assert json.loads((out / 'm.json').read_text()) == {'v': 1}
    assert sorted(os.listdir(out)) == ['m.json', 'm.png']
    assert sorted(os.listdir(tmp_path)) == ['run']  # no staging left
    with pytest.raises(RuntimeError):
        with OutputDir(str(tmp_path / 'new')) as staged:
            staged.write_json('m.json', {})
            raise RuntimeError
    assert not (tmp_path / 'new').exists()
    with pytest.raises(ValueError, match='plain file name'):
        with OutputDir(str(out)) as staged:
            staged.write_json('../escape.json', {})

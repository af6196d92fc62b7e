import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint

import sgmim  # noqa: F401
from sgmim.utils import (CorruptCheckpointError, UnsafeCheckpointError,
                         load_checkpoint_file)


def runner_like_checkpoint():
    """What mmengine's Runner writes: tensors plus message-hub buffers and
    NumPy values."""
    hub = MessageHub.get_instance('test_checkpoint_loading')
    for value in (1.5, 2.5, np.float64(3.5)):
        hub.update_scalar('train/loss', value)
    hub.update_info('iter', 7)
    return dict(
        meta=dict(epoch=1, iter=7, seed=np.int64(3),
                  mean=np.array([1.0, 2.0]), dtype=np.dtype('float32')),
        state_dict=dict(weight=torch.arange(6.).reshape(2, 3)),
        message_hub=hub.state_dict())


def test_runner_checkpoint_round_trips_under_weights_only(tmp_path):
    path = tmp_path / 'epoch_1.pth'
    torch.save(runner_like_checkpoint(), path)
    loaded = torch.load(path, weights_only=True)  # the torch >= 2.6 default
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(2.5)
    assert buffer.statistics('max') == pytest.approx(3.5)
    assert loaded['meta']['seed'] == 3
    np.testing.assert_array_equal(loaded['meta']['mean'], [1.0, 2.0])
    assert torch.equal(loaded['state_dict']['weight'],
                       torch.arange(6.).reshape(2, 3))


def test_history_buffer_pickles_no_methods():
    buffer = HistoryBuffer()
    buffer.update(1.0)
    payload = pickle.dumps(buffer)
    assert b'getattr' not in payload
    assert pickle.loads(payload).current() == 1.0


def test_mmengine_loader_uses_safe_scheme(tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save(runner_like_checkpoint(), path)
    assert CheckpointLoader._get_checkpoint_loader(str(path)) is \
        load_checkpoint_file
    assert _load_checkpoint(str(path))['meta']['iter'] == 7


class CodeOnLoad:
    """A pickle payload that would create a file when unpickled."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def test_payload_that_runs_code_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'malicious.pth'
    torch.save(dict(state_dict={}, evil=CodeOnLoad(str(marker))), path)
    with pytest.raises(UnsafeCheckpointError) as info:
        _load_checkpoint(str(path))
    assert str(path) in str(info.value)
    assert 'open' in str(info.value)
    assert not marker.exists()


def test_unsafe_opt_in_loads_trusted_legacy_file(tmp_path, monkeypatch):
    path = tmp_path / 'legacy.pth'
    torch.save(dict(state_dict={}, extra=pickle.PickleError('x')), path)
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint_file(str(path))
    monkeypatch.setenv('SGMIM_ALLOW_UNSAFE_CHECKPOINTS', '1')
    with pytest.warns(UserWarning, match='arbitrary code'):
        loaded = load_checkpoint_file(str(path))
    assert isinstance(loaded['extra'], pickle.PickleError)


def test_truncated_checkpoint_names_the_file(tmp_path):
    path = tmp_path / 'truncated.pth'
    torch.save(runner_like_checkpoint(), path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(CorruptCheckpointError) as info:
        _load_checkpoint(str(path))
    assert str(path) in str(info.value)
    assert 'truncated' in str(info.value)


def test_missing_checkpoint_names_the_file(tmp_path):
    path = tmp_path / 'nope.pth'
    with pytest.raises(FileNotFoundError, match=str(path)):
        _load_checkpoint(str(path))
    assert not os.path.exists(path)

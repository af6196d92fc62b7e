"""Helpers for tests that drive the tools as a user would."""
import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / 'tools'
CONFIGS = REPO / 'configs'


def run_tool(script, *args, cwd, check=True, timeout=900, env=None):
    """Run ``tools/<script>`` as a user would; returns the CompletedProcess.

    On an unexpected exit status the tool's output is shown in the failure.
    """
    cmd = [sys.executable, str(TOOLS / script), *map(str, args)]
    if script.endswith('.sh'):
        cmd = ['bash', *cmd[1:]]
    full_env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1')
    full_env.update(env or {})
    proc = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        pytest.fail(f'{" ".join(cmd)} exited {proc.returncode}\n'
                    f'--- stdout ---\n{proc.stdout[-6000:]}\n'
                    f'--- stderr ---\n{proc.stderr[-6000:]}')
    return proc


def load_tool(script):
    """``tools/<script>`` imported as a module named after the file (with
    ``tools/`` on ``sys.path``, as when the script runs, for its sibling
    modules such as ``project_python``)."""
    if str(TOOLS) not in sys.path:
        sys.path.insert(0, str(TOOLS))
    path = TOOLS / script
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scalars(work_dir):
    """Records of the (single) run's ``vis_data/scalars.json``."""
    files = sorted(Path(work_dir).glob('*/vis_data/scalars.json'))
    assert files, f'no scalars.json under {work_dir}'
    return [json.loads(line) for line in files[-1].read_text().splitlines()]


def free_port():
    """A TCP port on localhost that nothing listens on (for dist runs)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def train_straight_and_resumed(config, tmp_path, cwd, options=()):
    """Train ``config`` for 2 epochs straight (``tmp_path/straight``), and
    for 1 epoch then ``--resume`` to 2 (``tmp_path/interrupted``).

    Returns:
        tuple: (straight work dir, interrupted work dir, the resumed run's
        CompletedProcess).
    """
    straight = tmp_path / 'straight'
    run_tool('train.py', config, '--work-dir', straight, '--cfg-options',
             'train_cfg.max_epochs=2', *options, cwd=cwd)
    interrupted = tmp_path / 'interrupted'
    run_tool('train.py', config, '--work-dir', interrupted, '--cfg-options',
             'train_cfg.max_epochs=1', *options, cwd=cwd)
    assert (interrupted / 'epoch_1.pth').is_file()
    resumed = run_tool('train.py', config, '--work-dir', interrupted,
                       '--resume', '--cfg-options', 'train_cfg.max_epochs=2',
                       *options, cwd=cwd)
    return straight, interrupted, resumed

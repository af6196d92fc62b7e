"""The README's commands from a plain shell (no venv activated, no
``PYTHON=``): the launchers and ``tools/train.py`` / ``tools/test.py`` find
the repository's ``.venv`` themselves, or say what to run.

Each test runs a copy of ``tools/`` in a temporary repository whose
``.venv`` is a link to the venv running the tests (or a fake one), under an
environment holding only ``PATH=/usr/bin:/bin`` (and ``PYTHONPATH``, where
the tests have one, so that the sgmim under test is imported).
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_train_test import SIMMIM, free_port, train_losses
from tool_helpers import TOOLS

BASE_PYTHON = Path(sys.base_prefix) / 'bin' / 'python3'
LAUNCHERS = {
    'dist_train.sh': ['CONFIG', '1'],
    'dist_test.sh': ['CONFIG', 'CKPT', '1'],
    'slurm_train.sh': ['PARTITION', 'JOB', 'CONFIG', 'WORK_DIR'],
    'slurm_test.sh': ['PARTITION', 'JOB', 'CONFIG', 'CKPT'],
}


def in_venv():
    return sys.prefix != sys.base_prefix


def has_mmengine(python):
    code = 'import importlib.util as u; print(u.find_spec("mmengine"))'
    out = subprocess.run([str(python), '-c', code], capture_output=True,
                         text=True, env=plain_env()).stdout
    return out.strip() != 'None'


def fake_repo(tmp_path, venv=None):
    """``tmp_path/repo`` with a copy of ``tools/`` and ``.venv`` -> venv."""
    repo = tmp_path / 'repo'
    shutil.copytree(TOOLS, repo / 'tools',
                    ignore=shutil.ignore_patterns('__pycache__'))
    if venv is not None:
        (repo / '.venv').symlink_to(venv)
    return repo


def plain_env(**extra):
    env = dict(PATH='/usr/bin:/bin', OMP_NUM_THREADS='1')
    env.update(extra)
    if 'PYTHONPATH' in os.environ:
        env['PYTHONPATH'] = os.environ['PYTHONPATH']
    return env


def run_plain(cmd, cwd, **env):
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=plain_env(**env),
                          capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(not in_venv(), reason='the tests do not run in a venv')
def test_dist_train_finds_repo_venv(synth_workspace, tmp_path):
    repo = fake_repo(tmp_path, sys.prefix)
    work_dir = tmp_path / 'work'
    proc = run_plain(
        ['bash', repo / 'tools/dist_train.sh', SIMMIM, 1, '--work-dir',
         work_dir, '--cfg-options', 'train_cfg.max_epochs=1',
         'train_dataloader.batch_size=32', 'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False'],
        cwd=synth_workspace, PORT=str(free_port()))
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert max(train_losses(work_dir)) == 1  # 32 images, batch 32


def fake_python(path):
    """An executable at ``path`` that prints how it was called."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('#!/bin/sh\necho "$0 $*"\n')
    path.chmod(0o755)
    return path


@pytest.mark.parametrize('launcher', list(LAUNCHERS))
def test_launchers_default_to_repo_venv_python(tmp_path, launcher):
    """dist_*.sh exec the interpreter, slurm_*.sh hand it to (a fake)
    srun; either way it is the repository's .venv/bin/python unless
    PYTHON= names another."""
    fake_python(tmp_path / 'bin' / 'srun')
    venv = fake_python(tmp_path / 'venv/bin/python').parents[1]
    repo = fake_repo(tmp_path, venv)
    python = repo / '.venv/bin/python'
    script = repo / 'tools' / ('test.py' if 'test' in launcher else
                               'train.py')
    cmd = ['bash', repo / 'tools' / launcher, *LAUNCHERS[launcher]]
    path = f'{tmp_path / "bin"}:/usr/bin:/bin'
    proc = run_plain(cmd, cwd=tmp_path, PATH=path)
    assert proc.returncode == 0, proc.stderr
    assert f'{python} ' in proc.stdout and f' {script} ' in proc.stdout

    other = fake_python(tmp_path / 'other' / 'python')
    proc = run_plain(cmd, cwd=tmp_path, PATH=path, PYTHON=str(other))
    assert f'{other} ' in proc.stdout and str(python) not in proc.stdout


@pytest.mark.skipif(not in_venv() or has_mmengine(BASE_PYTHON),
                    reason='needs a venv over a Python without mmengine')
@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
def test_tool_reruns_itself_with_repo_venv(tmp_path, tool):
    repo = fake_repo(tmp_path, sys.prefix)
    proc = run_plain([BASE_PYTHON, f'tools/{tool}', '--help'], cwd=repo)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert f'usage: {tool}' in proc.stdout and '--data-root' in proc.stdout
    assert (f'tools/{tool}: no mmengine in {BASE_PYTHON}; running with '
            f'{repo}/.venv/bin/python') in proc.stderr


@pytest.mark.skipif(has_mmengine(BASE_PYTHON),
                    reason='needs a Python without mmengine')
@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
def test_tool_without_venv_prints_the_fix(tmp_path, tool):
    repo = fake_repo(tmp_path)
    proc = run_plain([BASE_PYTHON, f'tools/{tool}', 'CONFIG'], cwd=repo)
    assert proc.returncode == 1
    message = proc.stderr.strip().splitlines()[-1]
    assert message.startswith(f'tools/{tool}: {BASE_PYTHON} has no mmengine')
    assert message.endswith(
        f'run `make install`, then `.venv/bin/python tools/{tool} ...` '
        '(or `source .venv/bin/activate` first)')

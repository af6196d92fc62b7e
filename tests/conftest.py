import copy

import pytest


def _default_scope_guard(clear: bool = False):
    """Undo any ``init_default_scope`` made meanwhile (with ``clear``, start
    with no default scope): mmengine's default scope is process-global, and
    a later test building from another library's registry would otherwise
    resolve types in the wrong scope."""
    from mmengine.registry import DefaultScope
    saved = copy.copy(DefaultScope._instance_dict)
    if clear:
        DefaultScope._instance_dict = type(saved)()
    yield
    DefaultScope._instance_dict = saved


@pytest.fixture(autouse=True)
def restore_default_scope():
    """Per test."""
    yield from _default_scope_guard()


@pytest.fixture(autouse=True, scope='module')
def restore_default_scope_per_module():
    """Per module, for scopes set by module-scoped fixtures; every module
    starts without one, whichever modules ran before it in its process
    (pytest-xdist hands each worker its own sequence of files)."""
    yield from _default_scope_guard(clear=True)


@pytest.fixture(scope='session')
def synth_workspace(tmp_path_factory):
    """A working directory whose ``data/synthscenes`` holds a small generated
    SynthScenes set, so the synth configs run with their default data roots."""
    from sgmim.datasets.synthscenes import generate
    workspace = tmp_path_factory.mktemp('workspace')
    generate(workspace / 'data' / 'synthscenes', seed=0, num_pretrain=32,
             num_train=8, num_val=4, num_trajectories=1)
    return workspace

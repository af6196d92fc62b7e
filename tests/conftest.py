import copy

import pytest


def _default_scope_guard():
    """Undo any ``init_default_scope`` made meanwhile: mmengine's default
    scope is process-global, and a later test building from another
    library's registry would otherwise resolve types in the wrong scope."""
    from mmengine.registry import DefaultScope
    saved = copy.copy(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict = saved


# Per test, and per module for scopes set by module-scoped fixtures.
restore_default_scope = pytest.fixture(autouse=True)(_default_scope_guard)
restore_default_scope_per_module = pytest.fixture(
    autouse=True, scope='module')(_default_scope_guard)


@pytest.fixture(scope='session')
def synth_workspace(tmp_path_factory):
    """A working directory whose ``data/synthscenes`` holds a small generated
    SynthScenes set, so the synth configs run with their default data roots."""
    from sgmim.datasets.synthscenes import generate
    workspace = tmp_path_factory.mktemp('workspace')
    generate(workspace / 'data' / 'synthscenes', seed=0, num_pretrain=32,
             num_train=8, num_val=4, num_trajectories=1)
    return workspace

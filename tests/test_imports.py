import subprocess
import sys

SCRIPT = '''
import importlib
import mmdet.models, mmpretrain.models, mmseg.models  # noqa: F401
import sgmim
import sgmim  # noqa: F811  (a second import is a no-op)
from mmengine.config import Config
from mmengine.registry import WEIGHT_INITIALIZERS, HOOKS
from mmengine.utils import import_modules_from_strings
import_modules_from_strings(['sgmim'])  # what custom_imports does
from sgmim.models.utils import OptionalPretrainedInit
assert WEIGHT_INITIALIZERS.get('Pretrained') is OptionalPretrainedInit
assert HOOKS.get('RandomStateHook') is not None
for scope in ('mmpretrain', 'mmseg', 'mmdet'):
    registry = importlib.import_module(scope + '.registry')
    assert registry.HOOKS.get('RandomStateHook') is not None, scope
    for sampler in ('PerSampleSeedSampler', 'PerSampleSeedInfiniteSampler'):
        assert registry.DATA_SAMPLERS.get(sampler) is not None, scope
from mmengine.dataset import BaseDataset
assert BaseDataset.__getitem__.seeds_per_sample  # installed once
assert not hasattr(BaseDataset.__getitem__.__wrapped__, 'seeds_per_sample')
print('ok')
'''


def test_import_with_openmmlab_libraries_twice():
    proc = subprocess.run([sys.executable, '-c', SCRIPT], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith('ok')

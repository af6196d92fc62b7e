"""DegenerateStructureMapHook: clear errors for bad arguments and for data
samples that do not carry the flag (its counting runs in
tests/test_tools/test_degenerate_structure_maps.py)."""
import pytest
from mmpretrain.registry import HOOKS
from mmpretrain.structures import DataSample

import sgmim  # noqa: F401  (registers the hook)


@pytest.mark.parametrize('fraction', [-0.1, 1.5])
def test_fraction_outside_unit_interval_is_refused(fraction):
    with pytest.raises(ValueError, match='^max_degenerate_fraction:'):
        HOOKS.build(dict(type='DegenerateStructureMapHook',
                         max_degenerate_fraction=fraction))


def test_samples_without_flag_name_the_missing_meta_key():
    hook = HOOKS.build(dict(type='DegenerateStructureMapHook'))
    sample = DataSample(metainfo=dict(img_path='a.JPEG'))
    with pytest.raises(KeyError, match="'structure_map_degenerate'.*"
                       'meta_keys of PackInputs'):
        hook.after_train_iter(None, 0, dict(data_samples=[sample]))

"""The model-zoo metafiles list every config of their method folder, and
only configs that exist."""
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
METAFILES = yaml.safe_load((ROOT / 'model-index.yml').read_text())['Import']


@pytest.mark.parametrize('metafile', METAFILES)
def test_metafile_lists_the_folder(metafile):
    models = yaml.safe_load((ROOT / metafile).read_text())['Models']
    listed = [m['Config'] for m in models]
    assert len(listed) == len(set(listed)), 'a config is listed twice'
    assert all((ROOT / c).is_file() for c in listed)
    folder = (ROOT / metafile).parent
    configs = sorted(str(p.relative_to(ROOT)) for p in folder.rglob('*.py'))
    assert sorted(listed) == configs
    for model in models:
        assert model['Name'] == Path(model['Config']).stem


def test_every_method_folder_has_a_metafile():
    method_folders = {str(Path(m).parent) for m in METAFILES}
    assert method_folders == {
        f'configs/{name}'
        for name in ('sgmim', 'simmim', 'mae', 'lut', 'mto', 'mesa')}

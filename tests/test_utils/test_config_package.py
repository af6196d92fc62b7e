import pytest
from mmengine.config import Config

import sgmim  # noqa: F401
from sgmim.utils import config_dir


def test_sgmim_base_resolves_to_shipped_configs_without_scope(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text("_base_ = 'sgmim::simmim/"
                     "simmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-192px.py'"
                     "\ntrain_dataloader = dict(batch_size=4)\n")
    cfg = Config.fromfile(str(child))
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.model.backbone.type == 'SimMIMSwinTransformer'
    # sgmim is not a registry scope: the config's default_scope decides.
    assert '_scope_' not in cfg.model
    assert cfg.default_scope == 'mmpretrain'
    assert (tmp_path / 'child.py').parent != config_dir()


def test_unknown_sgmim_config_is_named(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text("_base_ = 'sgmim::simmim/no_such_config.py'\n")
    with pytest.raises(FileNotFoundError,
                       match='sgmim::simmim/no_such_config.py'):
        Config.fromfile(str(child))

"""``sgmim.utils.cfg_options``: a ``--cfg-options`` key must name a path of
the config (or be added with ``+``); a bad item is a usage error."""
import argparse

import pytest
from mmengine.config import Config

from sgmim.utils.cfg_options import (CfgOptionError, CfgOptionsAction,
                                     merge_cfg_options)


def small_config():
    return Config(dict(
        default_scope='mmseg',
        model=dict(type='EncoderDecoder',
                   backbone=dict(type='Swin', init_cfg=dict(
                       type='Pretrained', checkpoint=None))),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
        train_dataloader=dict(batch_size=4, dataset=dict(
            type='ADE20KDataset',
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='RandomResize', scale=(64, 64))])),
        val_cfg=None))


def merged(options):
    cfg = small_config()
    merge_cfg_options(cfg, options)
    return cfg


def refused(options):
    with pytest.raises(CfgOptionError) as err:
        merged(options)
    return str(err.value)


def test_misspelt_top_level_key_names_the_nearest():
    message = refused({'train_dataloder.batch_size': 2})
    assert message == (
        "--cfg-options train_dataloder.batch_size: the config has no key "
        "'train_dataloder' (did you mean 'train_dataloader'?); write "
        "+train_dataloder.batch_size=... to add it")


def test_near_miss_leaf_is_refused():
    message = refused({'train_dataloader.batch_sise': 2})
    assert ("train_dataloader has no key 'batch_sise' (did you mean "
            "'batch_size'?)") in message


@pytest.mark.parametrize('key', ['model.neck.in_channels', 'new_key',
                                 'val_cfg.fp16'])
def test_missing_intermediate_or_top_level_key_is_refused(key):
    assert f'--cfg-options {key}: ' in refused({key: 1})


def test_existing_keys_list_indices_and_new_leaves_merge():
    cfg = merged({
        'train_dataloader.batch_size': 2,
        'train_dataloader.dataset.pipeline.1.scale': (32, 32),
        'model.backbone.init_cfg.checkpoint': 'encoder.pth',
        'optim_wrapper.optimizer.fused': True,  # new leaf, no near miss
        'randomness.seed': 3,  # a Runner argument the config leaves out
    })
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.train_dataloader.dataset.pipeline[1].scale == (32, 32)
    assert cfg.model.backbone.init_cfg.checkpoint == 'encoder.pth'
    assert cfg.optim_wrapper.optimizer.fused is True
    assert cfg.randomness == dict(seed=3)


def test_list_index_out_of_range_is_refused():
    message = refused({'train_dataloader.dataset.pipeline.2.scale': 1})
    assert message.endswith('train_dataloader.dataset.pipeline is a list of '
                            "2, '2' is not an index into it")


def test_plus_prefix_adds_without_checks():
    cfg = merged({'+custom.nested.key': 1, '+train_dataloader.batch_sise': 2})
    assert cfg.custom == dict(nested=dict(key=1))
    assert cfg.train_dataloader.batch_sise == 2


@pytest.mark.parametrize('item', ['train_cfg.max_iters', '=3', '+=3',
                                  'a..b=1'])
def test_item_without_key_value_is_a_usage_error(item, capsys):
    parser = argparse.ArgumentParser(prog='train.py')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(['--cfg-options', 'a=1', item])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"train.py: error: argument --cfg-options: {item!r}: --cfg-options "
        'takes key=value pairs, e.g. train_dataloader.batch_size=4 '
        '(+key=value adds a new key)')


def test_action_keeps_the_plus_prefix_and_parses_values():
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction)
    args = parser.parse_args(['--cfg-options', '+a.b=[1,2]', 'c=x=y'])
    assert args.cfg_options == {'+a.b': [1, 2], 'c': 'x=y'}

"""``sgmim.utils.data_root.set_data_root``: every dataset (wrapped ones
included) and the evaluator ``ann_file`` paths under an old root move."""
import pytest
from mmengine.config import Config
from tool_helpers import CONFIGS

from sgmim.utils.data_root import reroot, set_data_root
from sgmim.utils.run_config import load_config

MASK_RCNN = CONFIGS / ('synth/mask-rcnn_swin-nano-w7_fpn_1xb4-40it_'
                       'synthscenes-coco-128.py')


def test_synth_mask_rcnn_config_moves_datasets_and_coco_ground_truth():
    cfg = load_config(str(MASK_RCNN), data_root='/mnt/coco')
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[name].dataset.data_root == '/mnt/coco'
    for name in ('val_evaluator', 'test_evaluator'):
        assert cfg[name].ann_file == (
            '/mnt/coco/annotations/instances_val2017.json')


def test_cfg_options_win_over_data_root():
    cfg = load_config(str(MASK_RCNN), {'val_evaluator.ann_file': 'gt.json'},
                      data_root='/mnt/coco')
    assert cfg.val_evaluator.ann_file == 'gt.json'
    assert cfg.test_evaluator.ann_file.startswith('/mnt/coco/')


def test_wrapped_datasets_and_evaluator_lists():
    cfg = Config(dict(
        train_dataloader=dict(dataset=dict(
            type='RepeatDataset', times=2, dataset=dict(
                type='ConcatDataset', datasets=[
                    dict(type='A', data_root='data/a/'),
                    dict(type='B', data_root='data/a/b')]))),
        val_dataloader=dict(dataset=dict(type='A', data_root='data/a')),
        test_dataloader=None,
        val_evaluator=[dict(type='CocoMetric', ann_file='data/a/b/gt.json'),
                       dict(type='CocoMetric', ann_file='data/a/gt.json'),
                       dict(type='CocoMetric', ann_file='/other/gt.json'),
                       dict(type='IoUMetric')]))
    set_data_root(cfg, 'new')
    concat = cfg.train_dataloader.dataset.dataset.datasets
    assert [d.data_root for d in concat] == ['new', 'new']
    assert cfg.val_dataloader.dataset.data_root == 'new'
    # The deepest old root containing a path is the one replaced.
    assert [m.get('ann_file') for m in cfg.val_evaluator] == [
        'new/gt.json', 'new/gt.json', '/other/gt.json', None]


def test_config_without_data_root_is_refused():
    cfg = Config(dict(train_dataloader=dict(dataset=dict(type='A'))))
    with pytest.raises(ValueError, match='no dataset of the config has a '
                       'data_root'):
        set_data_root(cfg, 'new')


@pytest.mark.parametrize('path, expected', [
    ('data/coco/annotations/x.json', 'new/annotations/x.json'),
    ('data/coco_extra/x.json', 'data/coco_extra/x.json'),
    ('data/x.json', 'data/x.json'),
])
def test_reroot_matches_whole_path_components(path, expected):
    assert reroot(path, ['data/coco/'], 'new') == expected

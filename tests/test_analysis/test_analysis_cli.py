"""The shared command line of the analysis tools."""
import argparse

import cv2
import numpy as np
import pytest

from sgmim.analysis.cli import (add_data_args, add_model_args,
                                add_models_args, check_data_args,
                                layer_depths, load_models, model_batches,
                                model_specs, prepare_model, run_main)


def _parse(argv):
    parser = argparse.ArgumentParser()
    add_model_args(parser)
    add_data_args(parser, 'demo', num_images=8, batch_size=4)
    return parser.parse_args(argv)


def test_defaults_and_checks(tiny_configs):
    args = _parse([tiny_configs['vit'], 'random'])
    assert (args.num_images, args.batch_size, args.seed, args.preset,
            args.out_dir) == (8, 4, 0, 'blocks', 'work_dirs/analysis/demo')
    check_data_args(args, 4)
    args.batch_size = 2
    with pytest.raises(ValueError, match='--batch-size must be >= 4 .HSIC'):
        check_data_args(args, 4, 'HSIC')
    args.num_images = 0
    with pytest.raises(ValueError, match='--num-images must be >= 1'):
        check_data_args(args)


def test_prepare_and_batches(tiny_configs, tiny_checkpoints, tmp_path):
    rng = np.random.default_rng(0)
    for i in range(5):
        cv2.imwrite(str(tmp_path / f'{i}.png'),
                    rng.integers(0, 256, (40, 36, 3), dtype=np.uint8))
    args = _parse([tiny_configs['swin'], tiny_checkpoints['swin'],
                   '--img-dir', str(tmp_path), '--num-images', '5',
                   '--batch-size', '2', '--device', 'cpu'])
    prepared = prepare_model(args)
    assert prepared.size == (32, 32) and len(prepared.layers) == 4
    shapes = [tuple(b.shape) for b in model_batches(args, prepared)]
    assert shapes == [(2, 3, 32, 32)] * 2 + [(1, 3, 32, 32)]
    assert len(list(model_batches(args, prepared, drop_last=True))) == 2
    args.layers = ['backbone.stages.0.blocks.9']
    with pytest.raises(KeyError, match='backbone.stages.0.blocks.0'):
        prepare_model(args)
    args.layers, args.img_size = None, [48]
    assert prepare_model(args).size == (48, 48)


def test_run_main_reports_bad_input_in_one_line():

    def bad(argv):
        raise KeyError("the model has no module 'x'; nearest names: y")

    with pytest.raises(SystemExit,
                       match="^error: the model has no module 'x'"):
        run_main(bad)

    def bug(argv):
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        run_main(bug)


def test_several_models(tiny_configs, tiny_checkpoints):
    parser = argparse.ArgumentParser()
    add_model_args(parser)
    add_data_args(parser, 'demo')
    add_models_args(parser)
    args = parser.parse_args([
        tiny_configs['vit'], tiny_checkpoints['vit'], '--layers',
        'backbone.layers.1', '--model', 'Swin', tiny_configs['swin'],
        'random', '--device', 'cpu'])
    specs = model_specs(args)
    assert [(s.name, s.checkpoint, s.first) for s in specs] == [
        ('vit', tiny_checkpoints['vit'], True), ('Swin', 'random', False)]
    assert specs[1].describe() == dict(name='Swin',
                                       config=tiny_configs['swin'],
                                       checkpoint='random')
    # --layers is the first model's; the others take ``defaults``
    loaded = [(spec.name, prepared.layers) for spec, prepared in
              load_models(args, lambda model: ['backbone.norm1'])]
    assert loaded == [('vit', ['backbone.layers.1']),
                      ('Swin', ['backbone.norm1'])]
    args.name = 'Swin'
    with pytest.raises(ValueError, match=r"\['Swin'\] repeats"):
        load_models(args)
    assert layer_depths(1) == [0.0] and layer_depths(3) == [0, 0.5, 1]


def test_figure_names_default_to_config_names():
    from sgmim.analysis.cli import figure_names
    configs = ['configs/a/simmim_x.py', 'b/sgmim_y.py']
    assert figure_names(None, configs) == ['simmim_x', 'sgmim_y']
    assert figure_names(['SimMIM'], configs) == ['SimMIM', 'sgmim_y']
    assert figure_names(['SimMIM', 'SG-MIM'], configs) == ['SimMIM', 'SG-MIM']
    with pytest.raises(ValueError, match='--names gives 3 labels for 2'):
        figure_names(['a', 'b', 'c'], configs)

"""tools/analysis_tools/attention_statistics.py end to end on tiny models:
its JSON equals the library called directly on the same images."""
import json

import cv2
import numpy as np
import pytest
from analysis_helpers import NORM, save_checkpoint, write_config
from tool_helpers import load_tool, run_tool

from sgmim.analysis.attention import large_kernel_statistics
from sgmim.analysis.attention_capture import (AttentionCapture,
                                              attention_statistics,
                                              default_attention_layers)
from sgmim.analysis.cli import run_main
from sgmim.analysis.features import get_module, run_backbone
from sgmim.analysis.images import folder_images, image_batches, normalization
from sgmim.analysis.large_kernel import depthwise_kernel, input_strides
from sgmim.analysis.loading import build_model, load_model
from sgmim.utils.run_config import load_config

TOOL = 'analysis_tools/attention_statistics.py'
FIGURES = ('attention_distance.png', 'attention_entropy.png',
           'attention_kl.png')
REPLKNET = """
default_scope = 'mmpretrain'
custom_imports = dict(imports=['sgmim'], allow_failed_imports=False)
model = dict(
    type='ImageClassifier',
    backbone=dict(type='RepLKNet',
                  arch=dict(large_kernel_sizes=[7, 5], layers=[1, 1],
                            channels=[8, 16], small_kernel=3, dw_ratio=1),
                  strides=(2, 2), dilations=(1, 1), out_indices=(1, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=2, in_channels=16))
""" + NORM.replace('SelfSupDataPreprocessor', 'ClsDataPreprocessor')


@pytest.fixture(scope='module')
def img_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp('images')
    rng = np.random.default_rng(0)
    for i in range(3):
        cv2.imwrite(str(folder / f'{i}.png'),
                    rng.integers(0, 256, (40, 36, 3), dtype=np.uint8))
    return folder


@pytest.fixture(scope='module')
def replknet(tmp_path_factory):
    folder = tmp_path_factory.mktemp('replknet')
    config = write_config(folder, 'replknet.py', REPLKNET)
    return config, save_checkpoint(build_model(load_config(config)),
                                   folder / 'replknet.pth')


def one_batch(model, img_dir, size=(32, 32)):
    images = folder_images(str(img_dir), size, 3)
    return next(image_batches(images, normalization(model), 3))


def library_stats(config, checkpoint, img_dir, kl_mode):
    """All three images in one batch, straight through the library."""
    model = load_model(config, checkpoint, 'cpu')
    names = default_attention_layers(model)
    with AttentionCapture(model, names) as capture:
        run_backbone(model, one_batch(model, img_dir))
    return {n: attention_statistics(capture.records[n], kl_mode)
            for n in names}


def layer_records(out):
    """The records of the one model in ``out/attention.json``."""
    (model, ) = json.loads((out / 'attention.json').read_text())['models']
    return model['records']


def check_pngs(out):
    for name in FIGURES:
        assert (out / name).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def check_records(records, expected):
    assert [r['layer'] for r in records] == list(expected)
    assert [r['index'] for r in records] == list(range(len(records)))
    assert records[0]['depth'] == 0 and records[-1]['depth'] == 1
    for record in records:
        stats = expected[record['layer']]
        for measure in ('distance', 'entropy', 'kl'):
            np.testing.assert_allclose(record[measure], stats[measure],
                                       rtol=1e-5)
            assert record[f'mean_{measure}'] == pytest.approx(
                float(stats[measure].mean()), rel=1e-5)
        assert record['num_heads'] == len(stats['distance'])


def test_vit_end_to_end(tiny_configs, tiny_checkpoints, img_dir, tmp_path):
    out = tmp_path / 'out'
    run_tool(TOOL, tiny_configs['vit'], tiny_checkpoints['vit'], '--img-dir',
             img_dir, '--num-images', 3, '--batch-size', 2, '--device',
             'cpu', '--out-dir', out, cwd=tmp_path)
    result = json.loads((out / 'attention.json').read_text())
    (model, ) = result['models']
    assert (result['measure'], result['mode'], result['kl_mode']) == (
        'attention', 'attention', 'pairwise')
    assert (model['name'], model['config'], model['checkpoint'],
            model['input_size']) == ('vit', tiny_configs['vit'],
                                     tiny_checkpoints['vit'], [32, 32])
    expected = library_stats(tiny_configs['vit'], tiny_checkpoints['vit'],
                             img_dir, 'pairwise')
    check_records(model['records'], expected)
    # 3 images x 16 patches (the CLS row dropped), weighted over 2 batches
    assert {(r['num_images'], r['num_queries'], r['type'])
            for r in model['records']} == {(3, 48, 'MultiheadAttention')}
    check_pngs(out)


def test_swin_in_process(tiny_configs, tiny_checkpoints, img_dir, tmp_path):
    tool = load_tool(TOOL)
    out = tmp_path / 'out'
    run_main(tool.main, [
        tiny_configs['swin'], tiny_checkpoints['swin'], '--img-dir',
        str(img_dir), '--num-images', '3', '--batch-size', '2', '--device',
        'cpu', '--kl-mode', 'to_mean', '--out-dir', str(out)])
    records = layer_records(out)
    expected = library_stats(tiny_configs['swin'], tiny_checkpoints['swin'],
                             img_dir, 'to_mean')
    check_records(records, expected)
    # the 4x4 map of stage 1 is one window: mmpretrain drops the shift
    assert [(r['window_size'], r['shift_size'], r['num_queries'])
            for r in records] == [(4, 0, 192), (4, 2, 192),
                                           (4, 0, 48), (4, 0, 48)]
    check_pngs(out)
    # pairwise KL of the one-head stage 0 is undefined: null in the JSON
    run_main(tool.main, [
        tiny_configs['swin'], tiny_checkpoints['swin'], '--img-dir',
        str(img_dir), '--num-images', '3', '--batch-size', '3', '--device',
        'cpu', '--out-dir', str(out)])
    layers = layer_records(out)
    assert [(r['kl'] == [None], r['mean_kl'] is None) for r in layers] == [
        (True, True)] * 2 + [(False, False)] * 2


def test_large_kernels_and_no_attention(replknet, img_dir, tmp_path):
    config, checkpoint = replknet
    tool = load_tool(TOOL)
    common = [config, checkpoint, '--img-dir', str(img_dir),
              '--num-images', '3', '--batch-size', '3', '--img-size', '32',
              '--device', 'cpu']
    missing = tmp_path / 'none'
    with pytest.raises(SystemExit, match='no supported attention module'):
        run_main(tool.main, common + ['--out-dir', str(missing)])
    assert not missing.exists()

    out = tmp_path / 'out'
    run_main(tool.main, common + [
        '--large-kernel', '--min-kernel-size', '5', '--kernel-normalize',
        'abs', '--out-dir', str(out)])
    records = layer_records(out)
    model = load_model(config, checkpoint, 'cpu')
    names = ['backbone.stages.0.blocks.0.large_kernel',
             'backbone.stages.1.blocks.0.large_kernel']
    strides = input_strides(model, names, one_batch(model, img_dir))
    assert strides == {names[0]: (4, 4), names[1]: (8, 8)}
    expected = {}
    for name in names:
        weight, dilation = depthwise_kernel(get_module(model, name))
        expected[name] = large_kernel_statistics(weight, strides[name],
                                                 dilation, 'abs')
    check_records(records, expected)
    assert [(r['kernel_size'], r['input_stride']) for r in records] == [
        ([7, 7], [4, 4]), ([5, 5], [8, 8])]
    check_pngs(out)


def test_several_models_in_one_figure(tiny_configs, tiny_checkpoints,
                                      img_dir, tmp_path):
    """random vs trained ViT vs Swin: each model's entry is its one-model
    run (``--layers`` only for the first); a repeated name writes
    nothing."""
    tool = load_tool(TOOL)
    common = ['--img-dir', str(img_dir), '--num-images', '3',
              '--batch-size', '2', '--device', 'cpu']
    first = [tiny_configs['vit'], tiny_checkpoints['vit'], '--layers',
             'backbone.layers.1.attn']
    others = [('random', tiny_configs['vit'], 'random'),
              ('Swin', tiny_configs['swin'], tiny_checkpoints['swin'])]
    out = tmp_path / 'all'
    run_main(tool.main, first + ['--name', 'SimMIM', '--out-dir', str(out)]
             + [a for model in others for a in ('--model', *model)]
             + common)
    models = json.loads((out / 'attention.json').read_text())['models']
    assert [m['name'] for m in models] == ['SimMIM', 'random', 'Swin']
    assert [len(m['records']) for m in models] == [1, 2, 4]
    for model, argv in zip(models, [first] + [m[1:] for m in others]):
        single = tmp_path / model['name']
        run_main(tool.main, list(argv) + ['--out-dir', str(single)] + common)
        (alone, ) = json.loads(
            (single / 'attention.json').read_text())['models']
        assert dict(alone, name=model['name']) == model
    check_pngs(out)

    repeated = tmp_path / 'repeated'
    with pytest.raises(SystemExit, match=r"model names must differ, "
                       r"\['vit'\] repeats"):
        run_main(tool.main, [tiny_configs['vit'], 'random', '--model', 'vit',
                             tiny_configs['vit'], 'random', '--out-dir',
                             str(repeated)] + common)
    assert not repeated.exists()

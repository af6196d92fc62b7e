"""The analysis tools end to end on tiny ViT, Swin and MAE checkpoints: each
JSON against the library functions called directly, PNGs written, and the
bad inputs of the issue rejected without output."""
import json
import math
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine.runner import set_random_seed
from log_capture import mmengine_messages
from tool_helpers import load_tool, run_tool

from sgmim.analysis.cka import MinibatchCKA
from sgmim.analysis.features import FeatureCapture, run_backbone
from sgmim.analysis.fourier import fourier_delta_log_amplitude
from sgmim.analysis.heterogeneity import (masked_token_heterogeneity,
                                          split_tokens_by_mask)
from sgmim.analysis.images import folder_images, image_batches, normalization
from sgmim.analysis.loading import load_model, use_library
from sgmim.analysis.relative_auc import rauc
from sgmim.analysis.spectrum import log_spectrum_gap

NUM_IMAGES = 8
PNG = b'\x89PNG\r\n\x1a\n'

cka_tool = load_tool('analysis_tools/cka_similarity.py')
spectrum_tool = load_tool('analysis_tools/feature_spectrum.py')
fourier_tool = load_tool('analysis_tools/fourier_amplitude.py')
heterogeneity_tool = load_tool('analysis_tools/token_heterogeneity.py')
rauc_tool = load_tool('analysis_tools/rauc_curves.py')


@pytest.fixture(scope='module')
def img_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp('images')
    rng = np.random.default_rng(0)
    for i in range(NUM_IMAGES):
        cv2.imwrite(str(folder / f'{i:02d}.png'),
                    rng.integers(0, 256, (40, 44, 3), dtype=np.uint8))
    return str(folder)


def _common(img_dir, out, batch_size=4):
    return ['--img-dir', img_dir, '--num-images', str(NUM_IMAGES),
            '--batch-size', str(batch_size), '--out-dir', str(out),
            '--device', 'cpu']


def _features(config, checkpoint, layers, img_dir, batch_size=4,
              drop_last=False):
    """Per batch, the TokenFeatures of ``layers``, computed here directly."""
    model = load_model(config, checkpoint)
    size = model.backbone.patch_embed.init_input_size
    images = folder_images(img_dir, size, NUM_IMAGES)
    out = []
    with FeatureCapture(model, layers) as capture:
        for batch in image_batches(images, normalization(model), batch_size,
                                   drop_last):
            run_backbone(model, batch)
            out.append(capture.collect())
    return out


def _json(out, name):
    return json.loads((out / name).read_text())


def _pngs(out, *names):
    for name in names:
        assert (out / name).read_bytes()[:8] == PNG, name


def test_cka_within_one_model(tiny_configs, tiny_checkpoints, img_dir,
                              tmp_path):
    out = tmp_path / 'cka'
    cka_tool.main([tiny_configs['swin'], tiny_checkpoints['swin'],
                   *_common(img_dir, out)])
    result = _json(out, 'cka.json')
    layers = [f'backbone.stages.{i}.blocks.{j}' for i in range(2)
              for j in range(2)]
    assert result['layers'] == layers and result['mode'] == 'within'
    assert result['num_batches'] == 2
    expected = MinibatchCKA(4)
    for feats in _features(tiny_configs['swin'], tiny_checkpoints['swin'],
                           layers, img_dir, drop_last=True):
        expected.update([f.tokens.flatten(1) for f in feats])
    np.testing.assert_allclose(result['matrix'], expected.compute().numpy(),
                               rtol=1e-10)
    assert [r['layer'] for r in result['records']] == layers
    np.testing.assert_allclose(np.diag(result['matrix']), 1.0, rtol=1e-10)
    _pngs(out, 'cka.png')


def test_cka_between_two_models(tiny_configs, tiny_checkpoints, img_dir,
                                tmp_path):
    out = tmp_path / 'cross'
    swin_layers = ['backbone.stages.0.blocks.1', 'backbone.stages.1.blocks.1']
    cka_tool.main([tiny_configs['vit'], tiny_checkpoints['vit'], '--compare',
                   tiny_configs['swin'], tiny_checkpoints['swin'],
                   '--compare-layers', *swin_layers, '--representation',
                   'pooled', *_common(img_dir, out)])
    result = _json(out, 'cka.json')
    vit_layers = ['backbone.layers.0', 'backbone.layers.1']
    expected = MinibatchCKA(2, 2)
    for xs, ys in zip(
            _features(tiny_configs['vit'], tiny_checkpoints['vit'],
                      vit_layers, img_dir, drop_last=True),
            _features(tiny_configs['swin'], tiny_checkpoints['swin'],
                      swin_layers, img_dir, drop_last=True)):
        expected.update([f.tokens.mean(1) for f in xs],
                        [f.tokens.mean(1) for f in ys])
    matrix = expected.compute().numpy()
    np.testing.assert_allclose(result['matrix'], matrix, rtol=1e-10)
    assert [(r['layer'], r['matched_layer']) for r in result['records']] == \
        list(zip(vit_layers, swin_layers))
    np.testing.assert_allclose([r['matched_cka'] for r in result['records']],
                               np.diag(matrix), rtol=1e-10)
    _pngs(out, 'cka.png', 'cka_layerwise.png')


def test_cka_warns_when_the_models_see_different_sizes(
        tiny_configs, tiny_checkpoints, img_dir, tmp_path):
    layers = ['backbone.stages.0', 'backbone.stages.1']
    base = [tiny_configs['swin'], tiny_checkpoints['swin'], '--compare',
            tiny_configs['swinv2'], tiny_checkpoints['swinv2'], '--layers',
            *layers, '--compare-layers', *layers, '--representation',
            'pooled']
    with mmengine_messages() as messages:
        cka_tool.main([*base, *_common(img_dir, tmp_path / 'own')])
    warned = [m for m in messages if 'different sizes' in m]
    assert len(warned) == 1
    assert f'{tiny_configs["swin"]} at 32 x 32' in warned[0]
    assert f'{tiny_configs["swinv2"]} at 64 x 64' in warned[0]
    assert '--img-size' in warned[0]
    result = _json(tmp_path / 'own', 'cka.json')
    sizes = [m['input_size'] for m in result['models']]
    assert sizes == [[32, 32], [64, 64]]
    with mmengine_messages() as messages:  # one size for both: no warning
        cka_tool.main([*base, '--img-size', '64', *_common(
            img_dir, tmp_path / 'same')])
    assert not [m for m in messages if 'different sizes' in m]


def test_cka_bad_inputs_write_nothing(tiny_configs, tiny_checkpoints,
                                      img_dir, tmp_path):
    out = tmp_path / 'none'
    base = [tiny_configs['vit'], tiny_checkpoints['vit']]
    with pytest.raises(ValueError, match='--batch-size must be >= 4 .the '
                       'unbiased HSIC'):
        cka_tool.main([*base, *_common(img_dir, out, batch_size=3)])
    with pytest.raises(ValueError, match='the first model has 2 layers, the '
                       'second 4'):
        cka_tool.main([*base, '--compare', tiny_configs['swin'],
                       tiny_checkpoints['swin'], *_common(img_dir, out)])
    assert not out.exists()


def test_spectrum_against_numpy(tiny_configs, tiny_checkpoints, img_dir,
                                tmp_path):
    out = tmp_path / 'spectrum'
    layers = ['backbone.layers.0', 'backbone.layers.1']
    spectrum_tool.main([tiny_configs['vit'], tiny_checkpoints['vit'],
                        '--reference', tiny_configs['vit'], 'random',
                        *_common(img_dir, out)])
    result = _json(out, 'spectrum.json')
    assert [r['layer'] for r in result['records']] == layers
    batches = _features(tiny_configs['vit'], tiny_checkpoints['vit'], layers,
                        img_dir)
    for i, record in enumerate(result['records']):
        z = np.concatenate([b[i].tokens.mean(1).double().numpy()
                            for b in batches])
        z = z - z.mean(0)
        expected = np.linalg.svd(z.T @ z / len(z), compute_uv=False)
        np.testing.assert_allclose(record['singular_values'], expected,
                                   rtol=1e-8, atol=1e-12)
        assert record['num_embeddings'] == NUM_IMAGES and record['dim'] == 16
        # 8 centred embeddings span 7 directions: the gap stops at rank 7
        assert record['rank'] == record['reference_rank'] == NUM_IMAGES - 1
        assert expected[NUM_IMAGES - 1:].max() < 1e-12 * expected[0]
        np.testing.assert_allclose(record['log_gap'], log_spectrum_gap(
            torch.tensor(record['singular_values'][:NUM_IMAGES - 1]),
            torch.tensor(record['reference_singular_values'][
                :NUM_IMAGES - 1])).numpy())
    _pngs(out, 'spectrum.png', 'spectrum_reference.png', 'spectrum_gap.png')


def test_spectrum_all_tokens(tiny_configs, tiny_checkpoints, img_dir,
                             tmp_path):
    out = tmp_path / 'all'
    layer = 'backbone.stages.1.blocks.1'
    spectrum_tool.main([tiny_configs['swin'], tiny_checkpoints['swin'],
                        '--layers', layer, '--all-tokens',
                        *_common(img_dir, out)])
    (record, ) = _json(out, 'spectrum.json')['records']
    z = np.concatenate([b[0].tokens.flatten(0, 1).double().numpy()
                        for b in _features(tiny_configs['swin'],
                                           tiny_checkpoints['swin'], [layer],
                                           img_dir)])
    assert record['num_embeddings'] == NUM_IMAGES * 16 == len(z)
    assert record['rank'] == record['dim']
    np.testing.assert_allclose(
        record['singular_values'],
        np.linalg.svd(np.cov(z.T, bias=True), compute_uv=False), rtol=1e-8,
        atol=1e-12)


def test_fourier_several_models(tiny_configs, tiny_checkpoints, img_dir,
                                tmp_path):
    out = tmp_path / 'fourier'
    fourier_tool.main([tiny_configs['swin'], tiny_checkpoints['swin'],
                       '--name', 'Swin', '--model', 'ViT', tiny_configs['vit'],
                       tiny_checkpoints['vit'], *_common(img_dir, out,
                                                         batch_size=3)])
    swin, vit = _json(out, 'fourier.json')['models']
    assert (swin['name'], vit['name']) == ('Swin', 'ViT')
    for model, name in ((swin, 'swin'), (vit, 'vit')):
        layers = [r['layer'] for r in model['records']]
        # batches of 3, 3, 2 weighted by size == all 8 images at once (up
        # to float32 rounding: the model's features depend on the batch
        # size at ~1e-7, as BLAS splits the products differently)
        (feats, ) = _features(tiny_configs[name], tiny_checkpoints[name],
                              layers, img_dir, batch_size=NUM_IMAGES)
        for record, layer_feats in zip(model['records'], feats):
            expected = fourier_delta_log_amplitude(layer_feats.as_map())
            np.testing.assert_allclose(record['delta_log_amplitude'],
                                       expected.numpy(), rtol=1e-6,
                                       atol=1e-9)
            assert record['high_frequency'] == pytest.approx(
                float(expected[-1]), rel=1e-6)
        depths = [r['depth'] for r in model['records']]
        assert depths[0] == 0 and depths[-1] == 1
    assert [r['hw'] for r in swin['records']] == [[8, 8]] * 2 + [[4, 4]] * 2
    assert swin['records'][0]['frequencies'] == [0, 0.25, 0.5, 0.75]
    _pngs(out, 'fourier_curves.png', 'fourier_depth.png')


def _direct_heterogeneity(config, checkpoint, img_dir, layers, seed=0):
    """H per layer, with the masks of the config's generator drawn in the
    tool's order after the same seeding."""
    set_random_seed(seed)
    model = load_model(config, checkpoint)
    pipeline = model.cfg.train_dataloader.dataset.pipeline
    generator = use_library('mmpretrain').TRANSFORMS.build(pipeline[1])
    values = [[] for _ in layers]
    images = folder_images(img_dir, (32, 32), NUM_IMAGES)
    with FeatureCapture(model, layers) as capture:
        for batch in image_batches(images, normalization(model), 4):
            masks = torch.stack([torch.as_tensor(generator.transform({})[
                'mask']) for _ in range(len(batch))])
            run_backbone(model, batch, mask=masks)
            for i, feats in enumerate(capture.collect()):
                step = masks.shape[1] // feats.hw[0]
                grid_mask = masks[:, ::step, ::step].flatten(1).bool()
                masked, visible = split_tokens_by_mask(
                    feats.tokens.double(), grid_mask)
                values[i].append(masked_token_heterogeneity(masked, visible))
    return [torch.cat(v) for v in values], masks


@pytest.mark.parametrize('name', ['vit', 'swin'])
def test_heterogeneity_with_the_config_mask(tiny_configs, tiny_checkpoints,
                                            img_dir, tmp_path, name):
    out = tmp_path / 'het'
    heterogeneity_tool.main([tiny_configs[name], tiny_checkpoints[name],
                             *_common(img_dir, out)])
    result = _json(out, 'heterogeneity.json')
    (model, ) = result['models']
    assert (result['measure'], model['name'], model['num_images']) == (
        'heterogeneity', name, NUM_IMAGES)
    layers = [r['layer'] for r in model['records']]
    assert layers[0] == 'backbone.drop_after_pos'
    assert model['mask'] == 'SimMIMMaskGenerator'
    assert [r['depth'] for r in model['records']] == [
        i / (len(layers) - 1) for i in range(len(layers))]
    expected, masks = _direct_heterogeneity(
        tiny_configs[name], tiny_checkpoints[name], img_dir, layers)
    for record, values in zip(model['records'], expected):
        assert record['heterogeneity'] == pytest.approx(
            float(values.mean()), rel=1e-9)
        assert record['std'] == pytest.approx(
            float(values.std(unbiased=False)), rel=1e-6, abs=1e-12)
        assert record['max_heterogeneity'] == pytest.approx(
            math.log(record['num_visible']))
    patches = masks.shape[1]**2
    assert model['records'][0]['num_masked'] == patches // 2
    _pngs(out, 'heterogeneity.png', 'affinity.png')


def test_heterogeneity_layer0_is_the_masked_embedding(tiny_configs,
                                                      tiny_checkpoints):
    """``drop_after_pos`` of the Swin encoder (no position embedding) holds
    exactly the mask token at masked patches."""
    model = load_model(tiny_configs['swin'], tiny_checkpoints['swin'])
    mask = torch.zeros(2, 8, 8, dtype=torch.long)
    mask[:, :4] = 1
    with FeatureCapture(model, ['backbone.drop_after_pos']) as capture:
        run_backbone(model, torch.randn(2, 3, 32, 32), mask=mask)
        (feats, ) = capture.collect()
    masked, visible = split_tokens_by_mask(feats.tokens,
                                           mask.flatten(1).bool())
    torch.testing.assert_close(
        masked, model.backbone.mask_token.detach().expand_as(masked))
    assert not torch.allclose(visible[:, :1], masked[:, :1])


def test_heterogeneity_of_mae_uses_the_decoder(tiny_configs,
                                               tiny_checkpoints, img_dir,
                                               tmp_path):
    out = tmp_path / 'mae'
    heterogeneity_tool.main([tiny_configs['mae'], tiny_checkpoints['mae'],
                             *_common(img_dir, out)])
    (model, ) = _json(out, 'heterogeneity.json')['models']
    assert model['mask'] == 'MAE random masking (decoder)'
    assert [r['layer'] for r in model['records']] == [
        'neck.decoder_blocks.0:input', 'neck.decoder_blocks.0',
        'neck.decoder_blocks.1']
    assert [(r['num_masked'], r['num_visible'])
            for r in model['records']] == [(12, 4)] * 3
    assert all(0 < r['heterogeneity'] <= math.log(4) + 1e-9
               for r in model['records'])


def test_heterogeneity_several_models(tiny_configs, tiny_checkpoints,
                                      img_dir, tmp_path):
    """random vs trained ViT vs MAE in one run: each model's entry is its
    one-model run (``--layers`` only for the first); an affinity row per
    model."""
    first = [tiny_configs['vit'], tiny_checkpoints['vit'], '--layers',
             'backbone.layers.1']
    others = [('random', tiny_configs['vit'], 'random'),
              ('MAE', tiny_configs['mae'], tiny_checkpoints['mae'])]
    out = tmp_path / 'all'
    heterogeneity_tool.main(
        first + ['--name', 'SimMIM', *_common(img_dir, out)] +
        [a for model in others for a in ('--model', *model)])
    models = _json(out, 'heterogeneity.json')['models']
    assert [m['name'] for m in models] == ['SimMIM', 'random', 'MAE']
    assert [len(m['records']) for m in models] == [2, 3, 3]
    for model, argv in zip(models, [first] + [m[1:] for m in others]):
        single = tmp_path / model['name']
        heterogeneity_tool.main([*argv, *_common(img_dir, single)])
        (alone, ) = _json(single, 'heterogeneity.json')['models']
        assert dict(alone, name=model['name']) == model
    _pngs(out, 'heterogeneity.png', 'affinity.png')


@pytest.mark.parametrize('tool', [fourier_tool, heterogeneity_tool])
def test_repeated_model_name_writes_nothing(tool, tiny_configs, img_dir,
                                            tmp_path):
    out = tmp_path / 'none'
    with pytest.raises(ValueError, match=r"model names must differ, "
                       r"\['a'\] repeats"):
        tool.main([tiny_configs['vit'], 'random', '--name', 'a', '--model',
                   'b', tiny_configs['vit'], 'random', '--model', 'a',
                   tiny_configs['swin'], 'random', *_common(img_dir, out)])
    assert not out.exists()


def test_heterogeneity_needs_mask_tokens(tiny_configs, tiny_checkpoints,
                                        img_dir, tmp_path):
    with pytest.raises(ValueError, match='has no mask token'):
        heterogeneity_tool.main([tiny_configs['seg'],
                                 tiny_checkpoints['seg'],
                                 *_common(img_dir, tmp_path / 'x')])
    assert not (tmp_path / 'x').exists()


def _scalars(folder, records):
    path = folder / '20240101_000000' / 'vis_data'
    path.mkdir(parents=True)
    (path / 'scalars.json').write_text(
        ''.join(json.dumps(r) + '\n' for r in records))


def test_rauc_from_csv_work_dirs_and_series(tmp_path, capsys):
    epochs = [0, 10, 20, 40]
    s1, s2 = [10., 20., 25., 30.], [12., 24., 27., 31.]
    (tmp_path / 'base.csv').write_text(
        'epoch,top1\n' + ''.join(f'{e},{v}\n' for e, v in zip(epochs, s1)))
    run = tmp_path / 'run'
    _scalars(run, [dict(loss=1.0, step=1)] + [
        {'accuracy/top1': v, 'step': e} for e, v in zip(epochs, s2)])
    out = tmp_path / 'out'
    rauc_tool.main([str(tmp_path / 'base.csv'), str(run), '--metric',
                    'top1', '--start', '5', '--end', '30', '--out-dir',
                    str(out)])
    result = _json(out, 'rauc.json')
    assert result['rauc'] == pytest.approx(rauc(epochs, s1, s2, 5, 30))
    assert result['epochs'] == epochs
    # target S1(30) = 27.5: the candidate's 27 at 20 < 27.5 <= 31 at 40,
    # crossed at 20 + 0.5 / 4 · 20 = 22.5; the baseline's count is E2 = 30
    assert (result['target'], result['epochs_to_target_measured'],
            result['baseline_epochs_to_target']) == (27.5, 40, 30)
    assert result['epochs_to_target'] == pytest.approx(22.5)
    assert result['epochs_ratio'] == pytest.approx(0.75)
    assert "epochs to base's 27.5 at epoch 30: 22.5 (measured 40), ratio " \
        '0.750;' in capsys.readouterr().out
    _pngs(out, 'rauc.png')
    series = tmp_path / 'series'
    for e, v in zip(epochs, s2):
        _scalars(series / f'epoch_{e}', [{'accuracy/top1': v - 1, 'step': 0},
                                         {'accuracy/top1': v, 'step': 0}])
    rauc_tool.main([str(run), str(series), '--metric', 'accuracy/top1',
                    '--out-dir', str(out)])
    result = _json(out, 'rauc.json')
    assert result['rauc'] == pytest.approx(1.0)
    assert result['epochs_to_target'] == result['end'] == 40
    # lower is better: a candidate that never gets down to the baseline's 30
    (tmp_path / 'high.csv').write_text('epoch,top1\n0,40\n20,35\n40,31\n')
    rauc_tool.main([str(tmp_path / 'base.csv'), str(tmp_path / 'high.csv'),
                    '--metric', 'top1', '--direction', 'lower', '--out-dir',
                    str(out)])
    result = _json(out, 'rauc.json')
    assert result['epochs_to_target'] is None is result['epochs_ratio']
    assert ": not reached; wrote" in capsys.readouterr().out


def test_rauc_bad_inputs(tmp_path):
    run = tmp_path / 'run'
    _scalars(run, [{'accuracy/top1': 1.0, 'step': 1},
                   {'accuracy/top1': 2.0, 'step': 2}])
    (tmp_path / 'one.csv').write_text('epoch,acc\n1,5\n')
    out = str(tmp_path / 'out')
    with pytest.raises(ValueError, match="no recorded keys match --metric "
                       "'top5' .accuracy/top1, step"):
        rauc_tool.main([str(run), str(run), '--metric', 'top5',
                        '--out-dir', out])
    with pytest.raises(ValueError, match='give --metric'):
        rauc_tool.main([str(run), str(run), '--out-dir', out])
    with pytest.raises(ValueError, match='share 1 epochs'):
        rauc_tool.main([str(tmp_path / 'one.csv'), str(tmp_path / 'one.csv'),
                        '--out-dir', out])
    with pytest.raises(FileNotFoundError, match='curve not found'):
        rauc_tool.main([str(tmp_path / 'no.csv'), str(run), '--out-dir', out])
    assert not (tmp_path / 'out').exists()


def test_bad_input_from_the_command_line(tiny_configs, tiny_checkpoints,
                                         img_dir, tmp_path):
    """As a user runs it: one-line errors, exit status 1, no output (one
    case as a subprocess, the others through the same ``run_main``)."""
    bad_dir = tmp_path / 'bad'
    bad_dir.mkdir()
    for name in ('a.png', 'b.png'):
        (bad_dir / name).write_bytes(open(f'{img_dir}/00.png', 'rb').read())
    (bad_dir / 'c.png').write_bytes(b'\x89PNG broken')
    state = torch.load(tiny_checkpoints['vit'])['state_dict']
    state.pop('backbone.ln1.bias')
    state['backbone.surplus'] = torch.zeros(1)
    torch.save(dict(state_dict=state), tmp_path / 'bad.pth')
    out = tmp_path / 'out'
    common = ['--out-dir', str(out), '--device', 'cpu']
    proc = run_tool('analysis_tools/cka_similarity.py', tiny_configs['vit'],
                    tmp_path / 'bad.pth', '--img-dir', img_dir, *common,
                    cwd=tmp_path, check=False)
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr
    assert re.search('missing keys: backbone.ln1.bias(.|\n)*unexpected keys: '
                     'backbone.surplus', proc.stderr), proc.stderr
    cases = [
        ([tiny_configs['vit'], tiny_checkpoints['vit'], '--img-dir',
          str(bad_dir), '--num-images', '4', '--batch-size', '4'],
         'corrupt or unsupported image file: .*c.png'),
        ([tiny_configs['vit'], tiny_checkpoints['vit'], '--img-dir',
          str(tmp_path / 'empty'), '--layers', 'backbone.layer.1'],
         "no module 'backbone.layer.1'; nearest names: backbone.layers.1"),
    ]
    for args, message in cases:
        with pytest.raises(SystemExit) as info:
            cka_tool.run_main(cka_tool.main, [*args, *common])
        assert re.search(message, str(info.value.code)), info.value.code
    assert not out.exists()

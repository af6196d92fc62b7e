"""The SG-MIM / SimMIM training benchmark: structure of its measurements and
of the markdown it writes. No timing value is asserted (speed targets live in
the benchmark's report, docs/benchmarks.md, never in tests)."""
import argparse
import importlib.util
import math
import time

import pytest
import torch
from tool_helpers import CONFIGS, REPO, run_tool

from sgmim.benchmarking import benchmark as bm
from sgmim.utils.cfg_options import CfgOptionError

SIMMIM = str(CONFIGS /
             'synth/simmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py')
SGMIM = str(CONFIGS /
            'synth/sgmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py')
_SPEC = importlib.util.spec_from_file_location(
    'benchmark_pretrain', CONFIGS.parent / 'tools' / 'analysis_tools' /
    'benchmark_pretrain.py')
bmtool = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bmtool)
SG_COMPONENTS = ('structure extractor', 'fusion (cross-attention + MLP)',
                 'structure decoder', 'structure loss')


@pytest.fixture(scope='module')
def runs():
    """Both tiny synth models on one batch of 2 images, one warm-up step each
    (so that the optimizer state exists)."""
    torch.manual_seed(0)
    runs = {}
    for name, config in (('SimMIM', SIMMIM), ('SG-MIM', SGMIM)):
        model, cfg = bm.build_model(config)
        batch = bm.synthetic_batch(2, **bm.mask_settings(cfg))
        runs[name] = bm.TrainingRun(model, bm.build_optim_wrapper(model, cfg),
                                    batch)
        bm.train_iteration(*runs[name])
    return runs


def test_mask_settings_follow_the_pipeline():
    cfg = bm.load_config(SGMIM)
    assert bm.mask_settings(cfg) == dict(
        img_size=96, mask_patch_size=32, model_patch_size=4, mask_ratio=0.6)


def test_synthetic_batch_matches_the_pipeline_contract():
    inputs, samples = bm.synthetic_batch(3, img_size=96, seed=1)
    assert inputs.shape == (3, 3, 96, 96) and inputs.dtype == torch.float32
    for sample in samples:
        mask, smask = sample.mask, sample.structure_mask
        assert mask.shape == smask.shape == (24, 24)
        assert mask.dtype == smask.dtype == torch.int64
        assert torch.equal(smask, 1 - mask)  # complementary mode
        # SimMIM's draw: ceil(0.6 * 9) of the 3x3 mask patches, as 8x8 blocks
        blocks = mask.reshape(3, 8, 3, 8).permute(0, 2, 1, 3).flatten(2)
        assert (blocks.min(-1).values == blocks.max(-1).values).all()
        assert int(blocks[..., 0].sum()) == math.ceil(0.6 * 9)
        assert sample.structure_map.shape == (1, 96, 96)
        assert sample.structure_map.dtype == torch.float32
    # deterministic for a seed, without touching the global numpy state
    again = bm.synthetic_batch(3, img_size=96, seed=1)
    assert torch.equal(again[0], inputs)
    assert all(torch.equal(a.mask, b.mask)
               for a, b in zip(again[1], samples))


def test_time_training_iterations_structure_and_order(runs, monkeypatch):
    calls = []
    real = bm.train_iteration

    def recording(model, optim_wrapper, batch):
        calls.append(next(n for n, r in runs.items() if r.model is model))
        return real(model, optim_wrapper, batch)

    monkeypatch.setattr(bm, 'train_iteration', recording)
    times = bm.time_training_iterations(runs, iters=2, warmup=1,
                                        progress=False)
    # warm-up per model, then rounds A B, B A
    assert calls == ['SimMIM', 'SG-MIM', 'SimMIM', 'SG-MIM', 'SG-MIM',
                     'SimMIM']
    assert set(times) == set(runs)
    for per_model in times.values():
        assert set(per_model) == {'forward', 'backward', 'step', 'total',
                                  'cpu'}
        assert all(len(v) == 2 for v in per_model.values())
        for i in range(2):
            assert per_model['total'][i] == pytest.approx(
                sum(per_model[p][i] for p in bm.PHASES))
    with pytest.raises(ValueError, match='iters'):
        bm.time_training_iterations(runs, iters=0)


def test_summarize_against_statistics():
    summary = bm.summarize([4., 1., 3., 2., 10.])
    # inclusive quartiles of 1 2 3 4 10: q25 = 2, q75 = 4
    assert summary == dict(median=3., iqr=2.)
    assert bm.summarize([5.]) == dict(median=5., iqr=0.)


def test_cpu_peak_allocation_of_a_known_pattern():
    from torch.profiler import ProfilerActivity, profile
    mib = 2**20
    with profile(activities=[ProfilerActivity.CPU],
                 profile_memory=True) as prof:
        a = torch.empty(mib // 4)  # 1 MiB
        b = torch.empty(2 * mib // 4)  # 2 MiB, both alive: 3 MiB
        del a, b
        c = torch.empty(mib // 4)  # 1 MiB after the frees
        del c
    assert bm._cpu_peak_allocation(prof) == 3 * mib


def test_peak_memory(runs):
    memory = {name: bm.peak_memory(*run) for name, run in runs.items()}
    for name, run in runs.items():
        m = memory[name]
        assert m['peak'] == m['persistent'] + m['transient']
        assert m['transient'] > 0 and m['method']
        # independent count: fp32 parameters, buffers and AdamW's state
        params = list(run.model.parameters())
        expected = sum(t.numel() * t.element_size() for t in params)
        expected += sum(t.numel() * t.element_size()
                        for t in run.model.buffers())
        expected += sum(v.numel() * v.element_size()
                        for s in run.optim_wrapper.optimizer.state.values()
                        for v in s.values())
        assert m['persistent'] == expected
        assert all(p.grad is None for p in params)  # zero_grad: set to None
    assert memory['SG-MIM']['persistent'] > memory['SimMIM']['persistent']


def test_profile_breakdown_attributes_components(runs):
    simmim = bm.profile_breakdown(*runs['SimMIM'], iters=1)
    sgmim = bm.profile_breakdown(*runs['SG-MIM'], iters=1)
    shared = ['encoder', 'image decoder', 'image loss']
    rest = [bm.OPTIMIZER, bm.OTHER, bm.UNTRACED]
    assert list(simmim) == shared + rest
    assert list(sgmim) == shared + list(SG_COMPONENTS) + rest
    for table in (simmim, sgmim):
        for label, phases in table.items():
            assert set(phases) == set(bm.PHASES)
            assert all(v >= 0 for v in phases.values())
    # every component's forward and backward ops were found (attribution,
    # not speed: any positive time passes)
    for label in shared + ['structure extractor', 'fusion (cross-attention '
                           '+ MLP)', 'structure decoder']:
        assert sgmim[label]['forward'] > 0 and sgmim[label]['backward'] > 0
    assert sgmim[bm.OPTIMIZER]['step'] > 0
    assert sgmim['encoder']['step'] == 0


class _LinearLoss(torch.nn.Module):
    """A model with ``loss``/``parse_losses`` like mmpretrain's: one linear
    layer, loss = sum of its outputs."""

    def __init__(self, cin, cout):
        super().__init__()
        self.fc = torch.nn.Linear(cin, cout)

    def loss(self, inputs, samples):
        return dict(loss=self.fc(inputs).sum())

    def parse_losses(self, losses):
        return losses['loss'], {}


def test_count_flops_matches_the_formula():
    """Linear layer, B x I -> O: forward 2BIO, backward 2BIO for the input
    gradient and 2BIO for the weight gradient (FlopCounterMode counts no
    bias add)."""
    model = _LinearLoss(8, 5)
    inputs = torch.randn(4, 8, requires_grad=True)
    assert bm.count_flops(model, (inputs, [])) == 3 * 2 * 4 * 8 * 5
    assert model.fc.weight.grad is None  # cleared
    frozen_input = torch.randn(4, 8)  # no input gradient
    assert bm.count_flops(model, (frozen_input, [])) == 2 * 2 * 4 * 8 * 5


def test_benchmark_pair_and_markdown():
    result = bm.benchmark_pair(SIMMIM, SGMIM, batch_size=2, iters=2,
                               warmup=1, breakdown_iters=1, progress=False)
    assert result['names'] == ('SimMIM', 'SG-MIM')
    models = result['models']
    assert models['SG-MIM']['params'] > models['SimMIM']['params']
    for entry in models.values():
        assert len(entry['times']['total']) == 2
        assert set(entry['summary']['total']) == {'median', 'iqr'}
        assert 'breakdown' in entry and 'peak' in entry['memory']
    ratio = result['ratio']
    for timer, series in (('wall', 'total'), ('cpu', 'cpu')):
        base, cand = (models[n]['times'][series]
                      for n in ('SimMIM', 'SG-MIM'))
        assert ratio[timer]['medians'] == pytest.approx(
            models['SG-MIM']['summary'][series]['median'] /
            models['SimMIM']['summary'][series]['median'])
        paired = sorted(c / b for b, c in zip(base, cand))
        assert ratio[timer]['paired']['median'] == pytest.approx(
            (paired[0] + paired[1]) / 2)
    assert ratio['params'] == pytest.approx(
        models['SG-MIM']['params'] / models['SimMIM']['params'])
    assert models['SG-MIM']['flops'] > models['SimMIM']['flops'] > 0
    assert ratio['flops'] == pytest.approx(
        models['SG-MIM']['flops'] / models['SimMIM']['flops'])
    assert result['timer'] == 'wall'

    machine = bm.machine_info('cpu', torch.get_num_threads())
    text = bm.format_markdown(result, 'tiny', machine, 'python x.py')
    assert text.startswith('### tiny')
    assert '| SimMIM |' in text and '| SG-MIM |' in text
    assert 'Target SG-MIM ≤ 1.10× SimMIM' in text
    assert 'judged on the per-round ratio of wall-clock time' in text
    assert machine['cpu'] in text
    assert 'Reproduce: `python x.py`' in text
    assert f'{ratio["flops"]:.3f}×. A time ratio above it' in text
    for label in SG_COMPONENTS:
        assert f'| {label} |' in text
    # images/s = B / t, TFLOP/s = F / t, MFU = F / t / peak
    rates = {}
    for name in ('SimMIM', 'SG-MIM'):
        seconds = models[name]['summary']['total']['median'] / 1e3
        rates[name] = (2 / seconds, models[name]['flops'] / seconds / 1e12)
        assert bm.throughput(models[name], 2, peak_tflops=0.5) == \
            pytest.approx(dict(images_per_s=rates[name][0],
                               tflops=rates[name][1],
                               mfu=rates[name][1] / 0.5))
    assert (f'{rates["SimMIM"][0]:,.3g} images/s (SimMIM) / '
            f'{rates["SG-MIM"][0]:,.3g} images/s (SG-MIM)') in text
    assert 'model-FLOP utilisation' not in text
    with_peak = bm.format_markdown(result, 'tiny', machine, 'python x.py',
                                   peak_tflops=0.5)
    assert (f'model-FLOP utilisation {200 * rates["SimMIM"][1]:.2f} % / '
            f'{200 * rates["SG-MIM"][1]:.2f} % of 0.5 TFLOP/s') in with_peak


def test_replace_section_keeps_foreign_content():
    text = ('# Benchmarks\n\nintro by someone else\n\n'
            '<!-- BEGIN other -->\nforeign section\n<!-- END other -->\n\n'
            'closing words\n')
    once = bm.replace_section(text, 'mine', 'first body')
    assert once.startswith(text)  # appended, foreign text untouched
    assert '<!-- BEGIN mine -->\nfirst body\n<!-- END mine -->' in once
    twice = bm.replace_section(once, 'mine', 'second body\n')
    assert 'first body' not in twice and 'second body' in twice
    assert twice.replace('second body', 'first body') == once
    assert bm.replace_section(twice, 'mine', 'second body') == twice
    # a section in the middle: only its content changes
    middle = bm.replace_section(text, 'other', 'new $1 \\g<0> content')
    assert middle == text.replace('foreign section',
                                  'new $1 \\g<0> content')
    assert bm.replace_section('', 'mine', 'x') == (
        '<!-- BEGIN mine -->\nx\n<!-- END mine -->\n')


def test_tool_updates_only_its_section(tmp_path):
    out = tmp_path / 'benchmarks.md'
    foreign = '# Benchmarks\n\nInference speed: written by another tool.\n'
    out.write_text(foreign)
    proc = run_tool('analysis_tools/benchmark_pretrain.py', '--pairs',
                    'synth-nano-96', '--batch-size', '2', '--iters', '2',
                    '--warmup', '1', '--breakdown-iters', '1', '--device',
                    'cpu', '--threads', '1', '--out', out, '--no-progress',
                    cwd=tmp_path)
    text = out.read_text()
    assert text.startswith(foreign)
    assert text.count('<!-- BEGIN benchmark_pretrain:synth-nano-96 -->') == 1
    assert 'configs/synth/sgmim_swin-nano-w3' in text
    assert ('--pairs synth-nano-96 --batch-size 2 --iters 2 --warmup 1 '
            '--device cpu --threads 1') in text
    assert '| **SG-MIM / SimMIM** |' in proc.stdout


def test_tool_cfg_options_and_gpu_section_names(tmp_path):
    """--cfg-options changes both configs (and appears in the reproduce
    command); GPU runs get their own sections."""
    args = argparse.Namespace(
        device='cpu', amp=False, threads=1, timer='wall', breakdown_iters=0,
        warmup=1, out=None, variants=[],
        cfg_options={'optim_wrapper.optimizer.lr': 0.5})
    cfg = bmtool.load_pair_config(SIMMIM, args.cfg_options)
    assert cfg.optim_wrapper.optimizer.lr == 0.5
    assert bmtool.section_name(args, 'synth-nano-96') == 'synth-nano-96'
    command = bmtool.reproduce_command(args, 'synth-nano-96', SIMMIM, SGMIM,
                                       2, 3)
    assert command.endswith('--cfg-options optim_wrapper.optimizer.lr=0.5')
    args.device = 'cuda'
    assert bmtool.section_name(args, 'x') == 'x-cuda'
    args.amp = True
    assert bmtool.section_name(args, 'x') == 'x-cuda-amp'
    # --variants: both configs, their own section, the reproduce command
    args.variants = ['compiled', 'fused']
    assert bmtool.section_name(args, 'x') == 'x-cuda-amp+compiled+fused'
    assert '--amp --variants compiled fused --threads' in \
        bmtool.reproduce_command(args, 'x', SIMMIM, SGMIM, 2, 3)
    for path in (SIMMIM, SGMIM):
        cfg = bmtool.load_pair_config(path, None, args.variants)
        assert cfg.compile is True
        assert cfg.custom_hooks == [dict(type='FusedWindowAttentionHook')]


def test_tool_cfg_options_are_checked():
    """A key not in the config fails (as in tools/train.py); + adds one."""
    with pytest.raises(CfgOptionError, match="did you mean 'optim_wrapper'"):
        bmtool.load_pair_config(SIMMIM, {'optim_wraper.optimizer.lr': 0.5})
    cfg = bmtool.load_pair_config(SIMMIM, {'+optim_wrapper.foo.bar': 1})
    assert cfg.optim_wrapper.foo.bar == 1
    args = bmtool.parse_args(['--cfg-options', '+optim_wrapper.foo.bar=1'])
    assert args.cfg_options == {'+optim_wrapper.foo.bar': 1}


# -- LUT against MAE: two views against one image batch -------------------
MAE = str(CONFIGS /
          'synth/mae_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py')
LUT = str(CONFIGS /
          'synth/lut_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py')
TEACHER_ROWS = ('teacher EMA update', 'teacher forward (full views, no grad)')


@pytest.fixture(autouse=True)
def _restore_max_iters():
    """build_model publishes a nominal max_iters (LUT's momentum schedule
    reads it); other tests see MessageHub as it was."""
    from mmengine.logging import MessageHub
    hub = MessageHub.get_current_instance()
    had = 'max_iters' in hub.runtime_info
    previous = hub.runtime_info.get('max_iters')
    yield
    if had:
        hub.update_info('max_iters', previous)
    else:
        hub.runtime_info.pop('max_iters', None)


def test_batch_spec_dispatches_on_the_pipeline():
    vit_b = {name: bm.load_config(str(CONFIGS / path)) for name, path in (
        ('MAE', 'mae/mae_vit-base-p16_8xb512-amp-coslr-1600e_in1k.py'),
        ('LUT', 'lut/lut_vit-base-p16_8xb512-amp-coslr-1600e_in1k.py'))}
    # MAE ViT-B names no img_size: the pipeline's 224 px crop
    assert bm.batch_spec(vit_b['MAE']) == dict(
        kind='image', img_size=224, num_views=1, mask_ratio=0.75)
    assert bm.batch_spec(vit_b['LUT']) == dict(
        kind='views', img_size=224, num_views=2, mask_ratio=0.75)
    assert bm.batch_spec(bm.load_config(MAE))['img_size'] == 96
    assert bm.batch_spec(bm.load_config(LUT))['kind'] == 'views'
    assert bm.batch_spec(bm.load_config(SGMIM)) == dict(
        kind='masked', **bm.mask_settings(bm.load_config(SGMIM)))


def test_pair_batches_fit_each_algorithm():
    cfgs = [bm.load_config(MAE), bm.load_config(LUT)]
    (mae, lut), specs = bm.pair_batches(cfgs, 3)
    assert [s['kind'] for s in specs] == ['image', 'views']
    images, samples = mae
    assert isinstance(images, torch.Tensor)
    assert images.shape == (3, 3, 96, 96) and len(samples) == 3
    views, samples = lut
    assert isinstance(views, list) and len(views) == 2 and len(samples) == 3
    assert all(v.shape == (3, 3, 96, 96) for v in views)
    assert torch.equal(views[0], images)  # MAE's images are LUT's view 1
    assert not torch.equal(views[0], views[1])
    # SimMIM and SG-MIM still share one masked batch
    (a, b), _ = bm.pair_batches(
        [bm.load_config(SIMMIM), bm.load_config(SGMIM)], 2)
    assert torch.equal(a[0], b[0]) and a[1][0].mask.shape == (24, 24)


def test_lut_iteration_updates_the_teacher_without_autograd():
    model, cfg = bm.build_model(LUT)
    batch = bm.config_batch(cfg, 2)
    run = bm.TrainingRun(model, bm.build_optim_wrapper(model, cfg), batch)
    before = model.teacher.module.backbone.layers[0].ffn.layers[1].weight
    before = before.detach().clone()
    bm.train_iteration(*run)  # first update: copy of the student
    bm.train_iteration(*run)  # second: an EMA step towards the trained one
    assert int(model.teacher.steps) == 2
    after = model.teacher.module.backbone.layers[0].ffn.layers[1].weight
    assert not torch.equal(before, after)
    assert all(p.grad is None and not p.requires_grad
               for p in model.teacher.parameters())
    targets = model.teacher_targets(*batch[0])
    assert all(t.grad_fn is None and not t.requires_grad for t in targets)


def test_lut_mae_pair_and_markdown():
    result = bm.benchmark_pair(MAE, LUT, batch_size=2, iters=2, warmup=1,
                               breakdown_iters=1, progress=False)
    assert result['names'] == ('MAE', 'LUT')
    assert [result['batches'][n]['kind'] for n in ('MAE', 'LUT')] == [
        'image', 'views']
    models = result['models']
    # the teacher (a copy of encoder + projector) is counted in the
    # parameters, not among the trained ones; both models also hold MAE's
    # fixed sin-cos position embeddings
    frozen = {n: models[n]['params'] - models[n]['trainable'] for n in models}
    lut_model, _ = bm.build_model(LUT)
    copied = sum(p.numel() for name in ('backbone', 'projector')
                 for p in getattr(lut_model, name).parameters())
    assert frozen['LUT'] == frozen['MAE'] + copied
    assert frozen['MAE'] == sum(
        p.numel() for p in lut_model.parameters() if not p.requires_grad
        and p.data_ptr() not in {
            q.data_ptr() for q in lut_model.teacher.parameters()})
    assert models['LUT']['flops'] > models['MAE']['flops'] > 0
    lut, mae = models['LUT']['breakdown'], models['MAE']['breakdown']
    encoder = 'encoder (student, both views)'
    assert encoder in lut and 'encoder' not in lut and 'encoder' in mae
    for row in TEACHER_ROWS + (encoder, 'projector', 'predictor'):
        assert lut[row]['forward'] > 0, row
    for row in TEACHER_ROWS:  # no backward through the teacher
        assert lut[row]['backward'] == 0 and row not in mae
    machine = bm.machine_info('cpu', torch.get_num_threads())
    text = bm.format_markdown(result, 'nano', machine, 'python x.py',
                              target=1.15)
    assert 'Target LUT ≤ 1.15× MAE' in text
    assert ('Batch 2: MAE one 96 px image batch, masks drawn by the model '
            '(ratio 0.75); LUT 2 views of 96 px') in text
    assert f'| {encoder}, vs MAE: encoder |' in text
    for row in TEACHER_ROWS:
        assert f'| {row} |' in text


def test_tool_writes_the_lut_mae_section(tmp_path):
    out = tmp_path / 'benchmarks.md'
    proc = run_tool('analysis_tools/benchmark_pretrain.py', '--pairs',
                    'mae-lut-synth-nano-96', '--batch-size', '2', '--iters',
                    '2', '--warmup', '1', '--breakdown-iters', '1',
                    '--device', 'cpu', '--threads', '1', '--timer', 'cpu',
                    '--out', out, '--no-progress', cwd=tmp_path)
    text = out.read_text()
    assert text.count(
        '<!-- BEGIN benchmark_pretrain:mae-lut-synth-nano-96 -->') == 1
    assert 'configs/synth/lut_vit-nano-p16' in text
    assert 'Target LUT ≤ 1.15× MAE' in text  # the pair's own target
    assert '| **LUT / MAE** |' in proc.stdout
    assert bmtool.PAIRS['mae-lut-vit-base-224'][3] == 1.15
    assert all(bmtool.PAIRS[name][3] == 1.10 for name in (
        'swin-base-192', 'swinv2-base-192', 'vit-base-224', 'synth-nano-96'))


# -- an algorithm + MTO against itself -------------------------------------
def test_mto_pairs_names_and_targets():
    pairs = {name: bmtool.PAIRS[name] for name in (
        'simmim-mto-vit-base-224', 'mae-mto-vit-base-224',
        'sgmim-mto-swin-base-192')}
    args = bmtool.parse_args([])
    for name, (_, baseline, candidate, target) in pairs.items():
        assert target == 1.05, name
        base_cfg = bm.load_config(str(REPO / baseline))
        cand_cfg = bm.load_config(str(REPO / candidate))
        assert cand_cfg.model.mto == {} and 'mto' not in base_cfg.model
        # a --pair of the same configs gets the MTO target by itself
        assert bmtool.pair_target(args, None, cand_cfg) == 1.05
        plain = bm.model_names(base_cfg, cand_cfg)[0]
        assert bm.model_names(base_cfg, cand_cfg) == (plain, f'{plain} + MTO')
    assert bmtool.pair_target(args, None, bm.load_config(SGMIM)) == 1.10


FAST_PAIRS = sorted(name for name, pair in bmtool.PAIRS.items()
                    if isinstance(pair[2], tuple))


def test_fast_path_pairs_cover_the_issue():
    """fused / compiled / bf16 for Swin-B, SwinV2-B and ViT-B, SimMIM and
    SG-MIM (no window attention in ViT to fuse)."""
    covered = {(pair[2][0].split('/')[1], variant)
               for pair in bmtool.PAIRS.values()
               if isinstance(pair[2], tuple) for variant in pair[2][1:]}
    for algo in ('simmim', 'sgmim'):
        for variant in ('fused', 'compiled', 'bf16'):
            assert (algo, variant) in covered
    names = set(bmtool.PAIRS)
    for backbone in ('swin-base-192', 'swinv2-base-192', 'vit-base-224'):
        assert f'simmim-bf16-{backbone}' in names
    assert {'swin-base-192-compiled', 'vit-base-224-compiled'} <= names


@pytest.mark.parametrize('name', FAST_PAIRS)
def test_fast_path_pairs(name):
    """A fast-path pair is one config against itself with the variants
    merged in; its target is the issue's (Swin-B 2x images/s, ViT-B 1.3x,
    bf16 no slower than fp16)."""
    _, baseline, candidate, target = bmtool.PAIRS[name]
    path, *variants = candidate
    base_cfg = bmtool.load_pair_config(baseline, None)
    cand_cfg = bmtool.load_pair_config(candidate, None)
    if isinstance(baseline, tuple):  # X compiled vs Y compiled
        assert target == 1.05 and variants == ['compiled']
        assert bm.uses_compile(base_cfg) and bm.uses_compile(cand_cfg)
        return
    assert path == baseline
    if 'bf16' in variants or 'synth' in name:
        assert target == 1.0
    else:
        assert target == (1 / 1.3 if 'vit' in name else 0.5)
    assert bm.uses_fused_window_attention(cand_cfg) == ('fused' in variants)
    assert bm.uses_compile(cand_cfg) == ('compiled' in variants)
    assert (bm.autocast_dtype(cand_cfg) == 'bfloat16') == (
        'bf16' in variants)
    assert not bm.uses_fused_window_attention(base_cfg)
    assert not bm.uses_compile(base_cfg)
    assert bm.autocast_dtype(base_cfg) == 'float16' or 'synth' in name
    plain, fast = bm.model_names(base_cfg, cand_cfg)
    labels = dict(fused='fused attention', compiled='compiled', bf16='bf16')
    assert fast == f'{plain} ({", ".join(labels[v] for v in variants)})'
    assert bmtool.config_label(candidate) == ' + '.join(
        [baseline] + [bmtool.VARIANT_LABELS[v] for v in variants])


def test_bf16_variant_on_a_dynamic_loss_scale_config():
    # MAE's configs scale the loss dynamically: bf16 turns the scaler off
    mae = bmtool.PAIRS['mae-mto-vit-base-224'][1]
    assert bmtool.load_pair_config(mae, None).optim_wrapper.loss_scale == \
        'dynamic'
    cfg = bmtool.load_pair_config(mae, None, ['bf16'])
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.optim_wrapper.loss_scale == dict(enabled=False)


def test_the_benchmark_builds_a_config_on_its_path():
    # fused: as the hook leaves the model before a run; compiled: as the
    # runner leaves it before the first iteration
    from mmpretrain.models.utils import WindowMSA

    from sgmim.models.utils import FusedWindowMSA
    fused = bmtool.load_pair_config(SIMMIM, None, ['fused'])
    compiled = bmtool.load_pair_config(SIMMIM, None, ['compiled'])
    for cfg, cls in ((bm.load_config(SIMMIM), WindowMSA),
                     (fused, FusedWindowMSA)):
        model, _ = bm.build_model(cfg)
        kinds = {type(m) for m in model.modules() if isinstance(m, WindowMSA)}
        assert kinds == {cls}
        assert model._compiled_call_impl is None
    model, _ = bm.build_model(compiled)
    assert model._compiled_call_impl is not None


def test_bf16_is_measured_with_amp_only():
    cfg = bmtool.load_pair_config(SIMMIM, None)
    cfg.optim_wrapper.dtype = 'bfloat16'
    with pytest.raises(ValueError, match="optim_wrapper.dtype='bfloat16' is "
                       r'measured with amp \(--amp\) only'):
        bm.benchmark_pair(SIMMIM, cfg, batch_size=2, iters=1)


def test_compiled_pair_reports_compile_time():
    """The compiled model's first iteration (its compilation) is reported
    against the per-iteration saving; no module-scope profile for it."""
    import torch._dynamo
    torch._dynamo.reset()
    compiled = bm.load_config(SGMIM)
    compiled.compile = dict(backend='eager')  # no inductor build in tests
    result = bm.benchmark_pair(SGMIM, compiled, batch_size=2, iters=2,
                               warmup=1, breakdown_iters=1, progress=False)
    torch._dynamo.reset()
    base_name, cand_name = result['names']
    assert (base_name, cand_name) == ('SG-MIM', 'SG-MIM (compiled)')
    base, cand = (result['models'][n] for n in result['names'])
    assert not base['compiled'] and cand['compiled']
    assert 'breakdown' in base and 'breakdown' not in cand
    assert cand['first_iteration'] > cand['summary']['total']['median']
    text = bm.format_markdown(result, 'tiny', bm.machine_info('cpu', 1),
                              'python x.py', target=1.0)
    assert 'Compilation (first iteration above the median one' in text
    assert '| component |' not in text
    # the repayment: extra first-iteration time / saving per iteration
    base = dict(first_iteration=1100.0, summary=dict(total=dict(median=100.)))
    cand = dict(first_iteration=9060.0, summary=dict(total=dict(median=60.)))
    assert bm._compile_text('A', base, 'B', cand).endswith(
        'A 1.0 s, B 9.0 s; B repays its extra 8.0 s after 200 iterations.')
    slower = dict(cand, summary=dict(total=dict(median=120.)))
    assert bm._compile_text('A', base, 'B', slower).endswith(
        'B saves no time per iteration here.')


def test_data_pipeline_rate_and_workers(synth_workspace, monkeypatch):
    from sgmim.benchmarking.data_rate import pipeline_rate, workers_needed
    monkeypatch.chdir(synth_workspace)
    cfg = bm.load_config(SGMIM)
    calls = []
    real = time.perf_counter

    def counting():
        calls.append(real())
        return calls[-1]

    monkeypatch.setattr(time, 'perf_counter', counting)
    rate = pipeline_rate(cfg, num_samples=3, warmup=1)
    assert rate['num_samples'] == 3
    assert rate['images_per_s'] == pytest.approx(3 / (calls[1] - calls[0]))
    assert workers_needed(100., 30.) == 4 and workers_needed(1., 30.) == 1
    result = dict(names=('SimMIM', 'SG-MIM'), batch_size=2, models={
        n: dict(summary=dict(total=dict(median=500.)), flops=1)
        for n in ('SimMIM', 'SG-MIM')})
    text = bmtool.data_text(result, [cfg, cfg], [dict(
        images_per_s=1.5, num_samples=3)] * 2)
    # the model: 2 images / 0.5 s = 4 images/s -> ceil(4 / 1.5) = 3
    assert ('SimMIM 1.5 images/s per worker against the model\'s 4: 3 '
            'worker(s) keep up (the config has num_workers=2)') in text
    monkeypatch.chdir(synth_workspace.parent)  # no data/synthscenes here
    with pytest.raises(FileNotFoundError, match='data/synthscenes'):
        pipeline_rate(cfg, num_samples=1)

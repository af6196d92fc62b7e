"""Training time and peak memory of a pre-training method against its
baseline (SG-MIM vs SimMIM, LUT vs MAE, X + MTO vs X), or of a config
against itself on a faster path (fused window attention, compiled forward,
bf16 autocast), in one process.

    python tools/analysis_tools/benchmark_pretrain.py
        [--pairs NAME ...] [--pair BASELINE CANDIDATE]
        [--variants fused|compiled|bf16 ...]
        [--batch-size N [N ...]] [--iters N [N ...]] [--warmup N]
        [--device cpu|cuda] [--amp] [--threads N] [--timer wall|cpu]
        [--breakdown-iters N] [--target R] [--peak-tflops P]
        [--data-samples N] [--cfg-options k=v ...]
        [--out docs/benchmarks.md] [--json FILE]

Both models of a pair are built from their configs and trained on the same
synthetic data, shaped as each algorithm takes it (SimMIM / SG-MIM:
normalised images, SG-MIM masks at the config's ratio, structure maps; MAE:
the images; LUT: two views, the first being MAE's images), with the
config's optimizer; their iterations alternate (A B, B A, ...). The report
(median and IQR of ms/iter, the candidate / baseline ratio against the
pair's target: 1.10x for SG-MIM / SimMIM, 1.15x for LUT / MAE, 1.05x for
an algorithm + MTO against itself; for the fast paths issue 13's GPU
targets: 0.5x the time for Swin-B, 1/1.3x for ViT-B; peak memory,
parameters, images/s, a per-component profile, the compile time of a
compiled model) is printed and written to ``--out``, where it replaces
only the pair's own section (between ``<!-- BEGIN benchmark_pretrain:NAME
-->`` and ``<!-- END ... -->``; NAME gets ``-cuda`` or ``-cuda-amp`` for GPU
runs and ``+VARIANT`` for each of ``--variants``). ``--variants`` and
``--cfg-options`` change both configs of every pair alike (``--variants
compiled`` on ``swin-base-192``: SG-MIM / SimMIM, both compiled).
``--batch-size`` and ``--iters`` take one value for all pairs or one per
pair; the default batch size is the config's. The built-in pairs are the
keys of :data:`PAIRS` (``--help`` lists them).
"""
import argparse
import json
import os.path as osp
import shlex

import torch

from sgmim.benchmarking import benchmark
from sgmim.benchmarking.data_rate import pipeline_rate, workers_needed
from sgmim.utils.cfg_options import (RULES_HELP, CfgOptionsAction,
                                     merge_cfg_options)
from sgmim.utils.run_config import apply_amp

# name: (title, baseline config, candidate config, time-ratio target)
PAIRS = {
    'swin-base-192': (
        'Swin-B, 192 px',
        'configs/simmim/simmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-'
        '192px.py',
        'configs/sgmim/sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-'
        '192px.py', 1.10),
    'swinv2-base-192': (
        'SwinV2-B, 192 px',
        'configs/simmim/simmim_swinv2-base-w12_8xb128-amp-coslr-100e_in1k-'
        '192px.py',
        'configs/sgmim/sgmim_swinv2-base-w12_8xb128-amp-coslr-100e_in1k-'
        '192px.py', 1.10),
    'vit-base-224': (
        'ViT-B/16, 224 px',
        'configs/simmim/simmim_vit-base-p16_8xb128-amp-step-800e_in1k-'
        '224px.py',
        'configs/sgmim/sgmim_vit-base-p16_8xb128-amp-step-800e_in1k-'
        '224px.py', 1.10),
    'synth-nano-96': (
        'Swin-nano (synth configs), 96 px',
        'configs/synth/simmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-'
        '96px.py',
        'configs/synth/sgmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-'
        '96px.py', 1.10),
    'mae-lut-vit-base-224': (
        'LUT vs MAE, ViT-B/16, 224 px',
        'configs/mae/mae_vit-base-p16_8xb512-amp-coslr-1600e_in1k.py',
        'configs/lut/lut_vit-base-p16_8xb512-amp-coslr-1600e_in1k.py', 1.15),
    'mae-lut-synth-nano-96': (
        'LUT vs MAE, ViT-nano/16 (synth configs), 96 px',
        'configs/synth/mae_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py',
        'configs/synth/lut_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py',
        1.15),
    'simmim-mto-vit-base-224': (
        'SimMIM + MTO vs SimMIM, ViT-B/16, 224 px',
        'configs/simmim/simmim_vit-base-p16_8xb128-amp-step-800e_in1k-'
        '224px.py',
        'configs/mto/mto-simmim_vit-base-p16_8xb128-amp-step-800e_in1k-'
        '224px.py', 1.05),
    'mae-mto-vit-base-224': (
        'MAE + MTO vs MAE, ViT-B/16, 224 px',
        'configs/mae/mae_vit-base-p16_8xb512-amp-coslr-400e_in1k.py',
        'configs/mto/mto-mae_vit-base-p16_8xb512-amp-coslr-400e_in1k.py',
        1.05),
    'sgmim-mto-swin-base-192': (
        'SG-MIM + MTO vs SG-MIM, Swin-B, 192 px',
        'configs/sgmim/sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-'
        '192px.py',
        'configs/mto/mto-sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-'
        '192px.py', 1.05),
}
SIMMIM_SWIN = ('configs/simmim/simmim_swin-base-w6_8xb128-amp-coslr-100e_'
               'in1k-192px.py')
SIMMIM_SWINV2 = ('configs/simmim/simmim_swinv2-base-w12_8xb128-amp-coslr-'
                 '100e_in1k-192px.py')
SIMMIM_VIT = ('configs/simmim/simmim_vit-base-p16_8xb128-amp-step-800e_in1k-'
              '224px.py')
SGMIM_SWIN = ('configs/sgmim/sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-'
              '192px.py')
SGMIM_VIT = ('configs/sgmim/sgmim_vit-base-p16_8xb128-amp-step-800e_in1k-'
             '224px.py')
SGMIM_SYNTH = PAIRS['synth-nano-96'][2]
# One config against itself on another path: a config given as (config,
# variant, ...) has the VARIANTS merged in. Issue 13's GPU targets: Swin-B
# >= 2.0x images/s from the fused attention and compiling together (<= 0.5x
# the time), ViT-B >= 1.3x (<= 0.77x); each path alone is reported against
# the same targets, bf16 against fp16 at 1.0x.
for algo, swin, vit in (('simmim', SIMMIM_SWIN, SIMMIM_VIT),
                        ('sgmim', SGMIM_SWIN, SGMIM_VIT)):
    label = dict(simmim='SimMIM', sgmim='SG-MIM')[algo]
    PAIRS.update({
        f'{algo}-fused-swin-base-192': (
            f'{label} Swin-B, fused window attention vs mmpretrain\'s, '
            '192 px', swin, (swin, 'fused'), 0.5),
        f'{algo}-compiled-swin-base-192': (
            f'{label} Swin-B, compiled vs eager, 192 px', swin,
            (swin, 'compiled'), 0.5),
        f'{algo}-fast-swin-base-192': (
            f'{label} Swin-B, fused + compiled vs eager mmpretrain '
            'attention, 192 px', swin, (swin, 'fused', 'compiled'), 0.5),
        f'{algo}-compiled-vit-base-224': (
            f'{label} ViT-B/16, compiled vs eager, 224 px', vit,
            (vit, 'compiled'), 1 / 1.3),
        f'{algo}-bf16-swin-base-192': (
            f'{label} Swin-B, bf16 vs fp16 autocast (--amp), 192 px', swin,
            (swin, 'bf16'), 1.0),
        f'{algo}-bf16-vit-base-224': (
            f'{label} ViT-B/16, bf16 vs fp16 autocast (--amp), 224 px', vit,
            (vit, 'bf16'), 1.0),
    })
PAIRS.update({
    'simmim-fused-swinv2-base-192': (
        'SimMIM SwinV2-B, fused window attention vs mmpretrain\'s, 192 px',
        SIMMIM_SWINV2, (SIMMIM_SWINV2, 'fused'), 0.5),
    'simmim-fast-swinv2-base-192': (
        'SimMIM SwinV2-B, fused + compiled vs eager mmpretrain attention, '
        '192 px', SIMMIM_SWINV2, (SIMMIM_SWINV2, 'fused', 'compiled'), 0.5),
    'simmim-bf16-swinv2-base-192': (
        'SimMIM SwinV2-B, bf16 vs fp16 autocast (--amp), 192 px',
        SIMMIM_SWINV2, (SIMMIM_SWINV2, 'bf16'), 1.0),
    # SG-MIM / SimMIM with both compiled (the host-side cost compiling
    # removes), and the synth config compiled vs eager (CPU-sized)
    'swin-base-192-compiled': (
        'Swin-B, 192 px, both compiled', (SIMMIM_SWIN, 'compiled'),
        (SGMIM_SWIN, 'compiled'), 1.05),
    'vit-base-224-compiled': (
        'ViT-B/16, 224 px, both compiled', (SIMMIM_VIT, 'compiled'),
        (SGMIM_VIT, 'compiled'), 1.05),
    'sgmim-compiled-synth-nano-96': (
        'SG-MIM Swin-nano (synth config), compiled vs eager, 96 px',
        SGMIM_SYNTH, (SGMIM_SYNTH, 'compiled'), 1.0),
})
# how a variant edits a config: the fused window attention as a run's
# custom hook switches it on; the forward compiled as the runner does
# (inductor); bf16 autocast as tools/train.py --amp bfloat16 sets it
VARIANTS = dict(
    fused=lambda cfg: cfg.merge_from_dict(
        dict(custom_hooks=[dict(type='FusedWindowAttentionHook')])),
    compiled=lambda cfg: cfg.merge_from_dict(dict(compile=True)),
    bf16=lambda cfg: apply_amp(cfg, 'bfloat16'),
)
VARIANT_LABELS = dict(fused='FusedWindowAttentionHook', compiled='compile',
                      bf16='bf16 autocast')
# target of a --pair, by the candidate's model type (default 1.10; an MTO
# candidate, ``model.mto`` set: 1.05)
TARGETS = {'LUT': 1.15, 'LUTSimMIM': 1.15}
MTO_TARGET = 1.05
SECTION = 'benchmark_pretrain'
TOOL = 'tools/analysis_tools/benchmark_pretrain.py'
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def config_path(path):
    """A built-in pair's config from any working directory: the repository's
    file, or the installed package's copy (``sgmim::``)."""
    if osp.exists(path) or not path.startswith('configs/'):
        return path
    if osp.exists(osp.join(REPO, path)):
        return osp.join(REPO, path)
    return 'sgmim::' + path[len('configs/'):]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Per-iteration training time and peak memory of a '
        'pre-training method vs its baseline (SG-MIM vs SimMIM, LUT vs MAE; '
        'same backbone and batch, one process)')
    parser.add_argument(
        '--pairs', nargs='*', choices=sorted(PAIRS), default=None,
        help=f'built-in config pairs (default: all: {", ".join(PAIRS)})')
    parser.add_argument(
        '--pair', nargs=2, action='append', default=[],
        metavar=('BASELINE', 'CANDIDATE'),
        help='another pair of configs (repeatable)')
    parser.add_argument(
        '--variants', nargs='+', choices=sorted(VARIANTS), default=[],
        help='paths merged into both configs of every pair: fused (the '
        'fused window attention hook), compiled (compile=True), bf16 '
        '(bf16 autocast; with --amp)')
    parser.add_argument('--batch-size', type=int, nargs='+',
                        help='images per iteration: one value, or one per '
                        'pair (default: the config\'s batch size)')
    parser.add_argument('--iters', type=int, nargs='+', default=[20],
                        help='timed iterations per model: one value, or '
                        'one per pair (default: 20)')
    parser.add_argument('--warmup', type=int, default=3,
                        help='untimed iterations per model (default: 3)')
    parser.add_argument('--device', choices=['cpu', 'cuda'],
                        default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--amp', action='store_true',
                        help='fp16 autocast with AmpOptimWrapper (CUDA only)')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch intra-op threads (default: torch\'s)')
    parser.add_argument('--breakdown-iters', type=int, default=3,
                        help='profiled iterations for the per-component '
                        'breakdown, 0 to skip (default: 3)')
    parser.add_argument(
        '--timer', choices=['wall', 'cpu'], default='wall',
        help='time the target is judged on: wall clock (default), or the '
        'process CPU time, which ignores waiting for a core on a loaded '
        'shared machine (use it with --threads 1: multi-threaded CPU time '
        'counts spinning threads)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=CfgOptionsAction, default=None,
        help='override settings of both configs of every pair, e.g. '
        f'optim_wrapper.optimizer.fused=True ({RULES_HELP})')
    parser.add_argument('--target', type=float, default=None,
                        help='time ratio target for every pair (default: '
                        'the pair\'s: 1.10 SG-MIM / SimMIM, 1.15 LUT / MAE, '
                        '1.05 X + MTO / X)')
    parser.add_argument(
        '--peak-tflops', type=float, default=None,
        help="the device's dense peak TFLOP/s for the run's precision (e.g. "
        '989 for an H100 with fp16/bf16): the report adds the model-FLOP '
        'utilisation (default: images/s and TFLOP/s only)')
    parser.add_argument(
        '--data-samples', type=int, default=0,
        help='also time this many samples of each config\'s training data '
        'pipeline in one process (the rate of one dataloader worker, from '
        'the config\'s data root; default 0: not measured)')
    parser.add_argument('--out', default=None,
                        help='markdown file whose section to rewrite, e.g. '
                        'docs/benchmarks.md (default: print only)')
    parser.add_argument('--json', default=None,
                        help='also dump the raw measurements here')
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    if args.amp and args.device != 'cuda':
        parser.error('--amp needs --device cuda')
    if args.timer == 'cpu' and args.device == 'cuda':
        parser.error('--timer cpu: CUDA iterations are judged on wall time')
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: no CUDA device available')
    return args


def selected_pairs(args):
    """[(name, title, baseline, candidate, target)] in the order given;
    a --pair's target is None (from its candidate's model type)."""
    names = args.pairs if args.pairs is not None else (
        [] if args.pair else list(PAIRS))
    pairs = [(name, *PAIRS[name]) for name in names]
    for baseline, candidate in args.pair:
        name = osp.splitext(osp.basename(candidate))[0]
        pairs.append((name, name, baseline, candidate, None))
    if not pairs:
        raise SystemExit('no pair selected')
    return pairs


def per_pair(values, count, option):
    if values is None:
        return [None] * count
    if len(values) == 1:
        return values * count
    if len(values) != count:
        raise SystemExit(f'{option}: give one value or one per pair '
                         f'({count}), got {len(values)}')
    return values


def reproduce_command(args, name, baseline, candidate, batch_size, iters):
    """The command that measures this pair alone with the same settings."""
    cmd = ['python', TOOL]
    cmd += ['--pairs', name] if name in PAIRS else [
        '--pair', baseline, candidate]
    cmd += ['--batch-size', str(batch_size), '--iters', str(iters),
            '--warmup', str(args.warmup), '--device', args.device]
    if args.amp:
        cmd.append('--amp')
    if getattr(args, 'variants', None):
        cmd += ['--variants', *args.variants]
    cmd += ['--threads', str(args.threads)]
    if args.timer != 'wall':
        cmd += ['--timer', args.timer]
    if getattr(args, 'target', None) is not None:
        cmd += ['--target', str(args.target)]
    if args.breakdown_iters != 3:
        cmd += ['--breakdown-iters', str(args.breakdown_iters)]
    if getattr(args, 'peak_tflops', None):
        cmd += ['--peak-tflops', f'{args.peak_tflops:g}']
    if getattr(args, 'data_samples', 0):
        cmd += ['--data-samples', str(args.data_samples)]
    if args.cfg_options:
        cmd += ['--cfg-options'] + [
            f'{key}={value}' for key, value in args.cfg_options.items()]
    if args.out:
        cmd += ['--out', args.out]
    return shlex.join(cmd)


def section_name(args, name):
    """The pair's section in ``--out``: GPU results beside the CPU ones."""
    variants = ''.join(f'+{v}' for v in args.variants)
    if args.device == 'cpu':
        return name + variants
    return f'{name}-{args.device}' + ('-amp' if args.amp else '') + variants


def pair_target(args, target, candidate_cfg):
    """--target, else the pair's, else by the candidate's model type."""
    if args.target is not None:
        return args.target
    if target is not None:
        return target
    if candidate_cfg.model.get('mto') is not None:
        return MTO_TARGET
    return TARGETS.get(str(candidate_cfg.model.type).split('.')[-1], 1.10)


def load_pair_config(path, cfg_options, variants=()):
    """A pair's config: a path, or ``(path, variant, ...)`` for the config
    with those :data:`VARIANTS` merged in; ``variants`` (``--variants``)
    are merged into every config."""
    if isinstance(path, tuple):
        path, *own = path
        variants = (*own, *variants)
    cfg = benchmark.load_config(config_path(path))
    for variant in variants:
        VARIANTS[variant](cfg)
    merge_cfg_options(cfg, cfg_options)
    return cfg


def config_label(path, variants=()) -> str:
    """How a pair's config is named in the report."""
    if isinstance(path, tuple):
        path, *own = path
        variants = (*own, *variants)
    return ' + '.join([path] + [VARIANT_LABELS[v] for v in
                                dict.fromkeys(variants)])


def data_text(result, configs, rates) -> str:
    """The data-pipeline line of a pair's report: one worker's images/s
    per config against the model's, and the workers that keep up."""
    parts = []
    for name, cfg, rate in zip(result['names'], configs, rates):
        model = benchmark.throughput(result['models'][name],
                                     result['batch_size'])['images_per_s']
        parts.append(
            f'{name} {rate["images_per_s"]:,.3g} images/s per worker '
            f'against the model\'s {model:,.3g}: '
            f'{workers_needed(model, rate["images_per_s"])} worker(s) keep '
            f'up (the config has num_workers='
            f'{cfg.train_dataloader.get("num_workers", 0)})')
    return (f'Data pipeline ({rates[0]["num_samples"]} samples of each '
            'config\'s training set in one process: loading, decoding and '
            'every transform, no collation): ' + '; '.join(parts) + '.')


def main(argv=None):
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    args.threads = torch.get_num_threads()
    if args.timer == 'cpu' and args.threads > 1:
        print(f'warning: --timer cpu with {args.threads} threads counts '
              'the CPU time of spinning worker threads too')
    pairs = selected_pairs(args)
    batch_sizes = per_pair(args.batch_size, len(pairs), '--batch-size')
    iters = per_pair(args.iters, len(pairs), '--iters')
    machine = benchmark.machine_info(args.device, args.threads, args.amp)
    raw = {}
    for (name, title, baseline, candidate, target), batch_size, n in zip(
            pairs, batch_sizes, iters):
        configs = [load_pair_config(path, args.cfg_options, args.variants)
                   for path in (baseline, candidate)]
        target = pair_target(args, target, configs[1])
        if batch_size is None:
            batch_size = configs[0].train_dataloader.batch_size
        print(f'\n{title}: batch {batch_size}, {n} iterations, '
              f'{args.device}, {args.threads} threads')
        result = benchmark.benchmark_pair(
            *configs,
            batch_size=batch_size, iters=n,
            warmup=args.warmup, device=args.device, amp=args.amp,
            breakdown_iters=args.breakdown_iters,
            progress=not args.no_progress, timer=args.timer)
        for model_name, config in zip(result['names'],
                                      (baseline, candidate)):
            result['models'][model_name]['config'] = config_label(
                config, args.variants)
        command = reproduce_command(args, name, baseline, candidate,
                                    batch_size, n)
        body = benchmark.format_markdown(result, title, machine, command,
                                         target=target,
                                         peak_tflops=args.peak_tflops)
        if args.data_samples:
            rates = [pipeline_rate(cfg, args.data_samples) for cfg in configs]
            result['data'] = rates
            body = body.replace('\n\nReproduce:', '\n\n' + data_text(
                result, configs, rates) + '\n\nReproduce:')
        print('\n' + body)
        if args.out:
            benchmark.write_section(
                args.out, f'{SECTION}:{section_name(args, name)}', body)
        raw[name] = dict(result, machine=machine, command=command)
    if args.out:
        print(f'\nwritten to {args.out}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(raw, f, indent=1, default=str)


if __name__ == '__main__':
    main()

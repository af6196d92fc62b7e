"""Iterations per second of MeSa's stage 2 (geometric) and stage 3
(supervised) against plain depth fine-tuning of the same encoder, on the
same frames and batch, in one process.

    python tools/analysis_tools/benchmark_depth_stages.py
        [--presets swinv2-base-480 synth-swinv2-nano]
        [--batch-size N] [--img-size H W] [--iters N] [--warmup N]
        [--breakdown-iters N] [--device cpu|cuda] [--threads N]
        [--out docs/benchmarks.md] [--json FILE]

A stage trains on a snippet (a target frame and two neighbours): one
encoder and decoder pass over the three frames, four pose-net passes (two
directions per neighbour), six rectification-net passes when the config
has the rectifier, and the photometric losses of both directions; the
fine-tuning on the target frames alone
(``sgmim.benchmarking.depth_stages``). The report (median and IQR of ms per
iteration, iterations per second, the per-round ratio to the fine-tuning,
peak memory, a per-component profile) is printed and written to ``--out``,
where it replaces only the preset's section
(``<!-- BEGIN benchmark_depth_stages:NAME -->``; NAME gets ``-cuda`` for
GPU runs). The pose and rectification nets are built
without their ImageNet weights (nothing is downloaded; the cost is the
same).
"""
import argparse
import json
import os.path as osp
import shlex

import torch

from sgmim.benchmarking import benchmark
from sgmim.benchmarking.depth_stages import benchmark_stages

_MESA = 'configs/mesa/'
_SYNTH = 'configs/synth/'
_STAGE = '_swinv2-base-w30_8xb1-amp-adam-100k_nyu-raw-480x480.py'
_NANO = '_swinv2-nano-w3_1xb4-40it_synthscenes-traj-96x128.py'
# name: (title, {model: config} with the fine-tuning first, batch, (H, W))
PRESETS = {
    'swinv2-base-480': (
        'MeSa stages vs depth fine-tuning, SwinV2-B, 480 x 480', {
            'fine-tuning (GLPDepth)':
            _MESA + 'glpdepth_swinv2-base-w30_8xb3-75e_nyu-480x480.py',
            'stage 2 (geometric)': _MESA + 'mesa-geometric' + _STAGE,
            'stage 3 (supervised)': _MESA + 'mesa-supervised' + _STAGE,
        }, 1, (480, 480)),
    'synth-swinv2-nano': (
        'MeSa stages vs depth fine-tuning, SwinV2-nano (synth configs), '
        '96 x 128', {
            'fine-tuning (GLPDepth)':
            _SYNTH + 'glpdepth_swinv2-nano-w3_1xb4-200it_synthscenes-nyu-'
            '96x96.py',
            'stage 2 (geometric)': _SYNTH + 'mesa-geometric' + _NANO,
            'stage 3 (supervised)': _SYNTH + 'mesa-supervised' + _NANO,
        }, 4, (96, 128)),
}
# no ImageNet weights for the frame-pair nets of a stage
NO_DOWNLOAD = {'model.pose_net.pretrained': None,
               'model.rectify_net.pretrained': None}
SECTION = 'benchmark_depth_stages'
TOOL = 'tools/analysis_tools/benchmark_depth_stages.py'
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--presets', nargs='+', choices=sorted(PRESETS),
                        default=list(PRESETS),
                        help='encoder and configs (default: all)')
    parser.add_argument('--batch-size', type=int,
                        help="frames per iteration (default: the preset's, "
                        "the stage configs' batch per GPU)")
    parser.add_argument('--img-size', type=int, nargs=2, metavar=('H', 'W'),
                        help="frame size (default: the preset's)")
    parser.add_argument('--iters', type=int, default=10,
                        help='timed iterations per model (default: 10)')
    parser.add_argument('--warmup', type=int, default=2,
                        help='untimed iterations per model (default: 2)')
    parser.add_argument('--breakdown-iters', type=int, default=2,
                        help='profiled iterations for the per-component '
                        'breakdown, 0 to skip (default: 2)')
    parser.add_argument('--device', choices=['cpu', 'cuda'],
                        default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int,
                        help="torch intra-op threads (default: torch's)")
    parser.add_argument('--out', help='markdown file whose section to '
                        'rewrite, e.g. docs/benchmarks.md (default: print)')
    parser.add_argument('--json', help='also dump the raw measurements here')
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: no CUDA device available')
    return args


def load_config(path):
    """A preset's config from any working directory (the repository's
    file, else the installed package's ``sgmim::`` copy), without the
    frame-pair nets' ImageNet weights."""
    if not osp.exists(path) and osp.exists(osp.join(REPO, path)):
        path = osp.join(REPO, path)
    elif not osp.exists(path):
        path = 'sgmim::' + path[len('configs/'):]
    cfg = benchmark.load_config(path)
    if cfg.model.get('pose_net') is not None:
        cfg.merge_from_dict(
            {k: v for k, v in NO_DOWNLOAD.items()
             if cfg.model.get(k.split('.')[1]) is not None})
    return cfg


def format_markdown(result, title, machine, command):
    """The preset's section: one row per model, ratios to the baseline."""
    base_name = result['baseline']
    gpu = f", GPU {machine['gpu']}" if 'gpu' in machine else ''
    threads = machine['threads']
    lines = [
        f'### {title}', '',
        f'Machine: {machine["cpu"]} ({machine["cpu_count"]} cores){gpu}; '
        f'device `{machine["device"]}`, {threads} torch '
        f'thread{"s" if threads != 1 else ""}, torch {machine["torch"]}, '
        f'Python {machine["python"]}, fp32.  ',
        f'Batch {result["batch_size"]} of {result["height"]} x '
        f'{result["width"]} frames (a stage: 3-frame snippets); '
        f'{result["iters"]} timed iterations per model after '
        f'{result["warmup"]} warm-up iterations, interleaved (A B C, '
        'C B A, ...).', '',
        '| model | config | params | wall ms/iter (median) | IQR | '
        'iterations/s | CPU ms/iter (median) | × fine-tuning (per-round '
        'wall, median [IQR]) | × fine-tuning (CPU) | peak memory |',
        '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ]
    for name, entry in result['models'].items():
        s, ratio = entry['summary'], entry['ratio']
        lines.append(
            f'| {name} | `{entry["config"]}` | '
            f'{benchmark._params(entry["params"])} | '
            f'{benchmark._ms(s["total"]["median"])} | '
            f'{benchmark._ms(s["total"]["iqr"])} | '
            f'{entry["iters_per_s"]:.3g} | '
            f'{benchmark._ms(s["cpu"]["median"])} | '
            f'{ratio["wall"]["paired"]["median"]:.2f}× '
            f'[{ratio["wall"]["paired"]["iqr"]:.2f}] | '
            f'{ratio["cpu"]["paired"]["median"]:.2f}× | '
            f'{benchmark._mib(entry["memory"]["peak"])} '
            f'({ratio["memory"]:.2f}×) |')
    lines += [
        '', f'Ratios are against {base_name}, each round\'s iterations '
        'paired. Peak memory: ' +
        result['models'][base_name]['memory']['method'] + '.']
    if all('breakdown' in e for e in result['models'].values()):
        lines += ['', breakdown_table(result['models'], result['device'])]
    lines += ['', f'Reproduce: `{command}`']
    return '\n'.join(lines)


def breakdown_table(models, device):
    """Per component, each model's profiled forward / backward ms."""
    unit = 'device' if device == 'cuda' else 'CPU'
    labels = []
    for entry in models.values():
        labels += [k for k in entry['breakdown'] if k not in labels]
    lines = [
        f'Where the time goes: profiled iterations (median), {unit} self '
        'time of the ops attributed to each component, in ms (forward / '
        'backward; the optimizer step in its own row); the profiler\'s '
        'overhead makes the sums differ somewhat from the times above.', '',
        '| component | ' + ' | '.join(models) + ' |',
        '|---|' + '---:|' * len(models)]
    for label in labels:
        cells = []
        for entry in models.values():
            times = entry['breakdown'].get(label)
            if times is None:
                cells.append('–')
            elif label == benchmark.OPTIMIZER:
                cells.append(benchmark._ms(times['step']))
            else:
                cells.append(f'{benchmark._ms(times["forward"])} / '
                             f'{benchmark._ms(times["backward"])}')
        lines.append(f'| {label} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def reproduce_command(args, name, batch_size, size):
    cmd = ['python', TOOL, '--presets', name, '--batch-size',
           str(batch_size), '--img-size', *map(str, size), '--iters',
           str(args.iters), '--warmup', str(args.warmup),
           '--breakdown-iters', str(args.breakdown_iters), '--device',
           args.device, '--threads', str(args.threads)]
    if args.out:
        cmd += ['--out', args.out]
    return shlex.join(cmd)


def main(argv=None):
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    args.threads = torch.get_num_threads()
    machine = benchmark.machine_info(args.device, args.threads)
    raw = {}
    for name in args.presets:
        title, configs, batch_size, size = PRESETS[name]
        batch_size = args.batch_size or batch_size
        size = tuple(args.img_size or size)
        print(f'\n{title}: batch {batch_size}, {size[0]} x {size[1]}, '
              f'{args.iters} iterations, {args.device}, {args.threads} '
              'threads')
        result = benchmark_stages(
            {model: load_config(path) for model, path in configs.items()},
            batch_size, *size, iters=args.iters, warmup=args.warmup,
            device=args.device, breakdown_iters=args.breakdown_iters,
            progress=not args.no_progress)
        for model, path in configs.items():
            result['models'][model]['config'] = path  # as listed
        command = reproduce_command(args, name, batch_size, size)
        body = format_markdown(result, title, machine, command)
        print('\n' + body)
        if args.out:
            section = name if args.device == 'cpu' else f'{name}-cuda'
            benchmark.write_section(args.out, f'{SECTION}:{section}', body)
        raw[name] = dict(result, machine=machine, command=command)
    if args.out:
        print(f'\nwritten to {args.out}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(raw, f, indent=1, default=str)


if __name__ == '__main__':
    main()

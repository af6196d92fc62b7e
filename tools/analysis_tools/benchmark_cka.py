"""Peak memory and throughput of the CKA tool against the number of images.

    python tools/analysis_tools/benchmark_cka.py
        [--models vit-nano swin-nano] [--model NAME CONFIG CHECKPOINT]
        [--num-images 64 256 1024] [--batch-size 16]
        [--representation tokens|pooled] [--img-dir DIR]
        [--device cpu|cuda] [--threads N] [--repeats R] [--flat 1.10]
        [--out docs/benchmarks.md] [--json FILE]

For each model and each N, in one process, two runs over the same first N
images of one folder (``--img-dir``, else random JPEGs written to a
temporary folder), with the model and layers loaded once:

* ``MinibatchCKA``: the tool's own code path, ``cka_similarity.accumulate``
  then ``compute()`` (image loading, forward with feature capture, one HSIC
  update per batch), the code ``cka_similarity.py`` runs;
* full batch (the baseline): the same batches and representations, all kept,
  concatenated, then ``linear_cka`` of every pair of layers at the end. Its
  memory grows with N; it shows what "flat" is measured against.

Each run is made ``--repeats`` times (at smaller N proportionally more
often, so that each N times as many images) without instrumentation for
its throughput (median images/s of wall-clock and process CPU time), then
once
under the allocation counter for its peak memory (CPU: torch.profiler
allocation events; CUDA: ``max_memory_allocated``), both above what was
allocated before the run (the model is not counted). The report gives
peak(N) / peak(smallest N) for both methods and judges "flat" on the tool's
largest ratio (``--flat``, default 1.10); it replaces only the
model's section of ``--out`` (``<!-- BEGIN benchmark_cka:NAME -->``; NAME
gets ``-cuda`` for GPU runs).
"""
import argparse
import contextlib
import json
import os
import os.path as osp
import shlex
import statistics
import sys
import tempfile
import time

import numpy as np
import torch

from sgmim.analysis.cka import linear_cka
from sgmim.analysis.cli import check_data_args, model_batches
from sgmim.analysis.features import batch_features
from sgmim.analysis.images import image_files
from sgmim.benchmarking import benchmark

if osp.dirname(osp.abspath(__file__)) not in sys.path:
    sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import cka_similarity as cka_tool  # noqa: E402  (the tool beside this file)

MODELS = {
    'vit-nano': (
        'ViT-nano/16 (synth SG-MIM config), 96 px',
        'configs/synth/sgmim_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py',
        'random'),
    'swin-nano': (
        'Swin-nano (synth SG-MIM config), 96 px',
        'configs/synth/sgmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py',
        'random'),
}
METHODS = ('minibatch', 'full_batch')
LABELS = dict(minibatch='MinibatchCKA (the tool)',
              full_batch='full batch (baseline)')
SECTION = 'benchmark_cka'
TOOL = 'tools/analysis_tools/benchmark_cka.py'
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Peak memory and throughput of cka_similarity.py '
        '(MinibatchCKA) against a full-batch baseline, for several numbers '
        'of images in one process')
    parser.add_argument('--models', nargs='*', choices=sorted(MODELS),
                        default=None,
                        help='built-in models (default: vit-nano)')
    parser.add_argument('--model', nargs=3, action='append', default=[],
                        metavar=('NAME', 'CONFIG', 'CHECKPOINT'),
                        help='another model (repeatable)')
    parser.add_argument('--num-images', type=int, nargs='+',
                        default=[64, 256, 1024],
                        help='numbers of images (default: 64 256 1024)')
    parser.add_argument('--batch-size', type=int, default=16,
                        help='images per batch (default: 16)')
    parser.add_argument('--representation',
                        choices=cka_tool.REPRESENTATIONS, default='tokens',
                        help='as the tool\'s option (default: tokens)')
    parser.add_argument('--img-dir',
                        help='image folder holding at least max(N) images '
                        '(default: random JPEGs in a temporary folder)')
    parser.add_argument('--device', choices=['cpu', 'cuda'],
                        default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, default=None,
                        help='torch intra-op threads (default: torch\'s)')
    parser.add_argument('--repeats', type=int, default=1,
                        help='timed runs per method at the largest N, '
                        'proportionally more at smaller N; the median is '
                        'reported (default: 1)')
    parser.add_argument('--flat', type=float, default=1.10,
                        help='largest peak(N) / peak(smallest N) of the '
                        'tool that counts as flat (default: 1.10)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default=None,
                        help='markdown file whose section to rewrite, e.g. '
                        'docs/benchmarks.md (default: print only)')
    parser.add_argument('--json', default=None,
                        help='also dump the measurements here')
    args = parser.parse_args(argv)
    args.num_images = sorted(set(args.num_images))
    if args.repeats < 1:
        parser.error('--repeats must be >= 1')
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: no CUDA device available')
    return args


def selected_models(args):
    """[(name, title, config, checkpoint)] in the order given."""
    names = args.models if args.models is not None else (
        [] if args.model else ['vit-nano'])
    models = [(name, *MODELS[name]) for name in names]
    models += [(name, name, config, checkpoint)
               for name, config, checkpoint in args.model]
    if not models:
        raise SystemExit('no model selected')
    return models


def repo_path(path):
    """A built-in config from any working directory."""
    if osp.exists(path) or osp.isabs(path):
        return path
    return osp.join(REPO, path)


def write_images(folder, count, size=112, seed=0):
    """``count`` random (size, size) JPEGs named 00000.jpg, ... (smooth
    noise, so that the tool's resize and crop have work to do)."""
    import mmcv
    rng = np.random.default_rng(seed)
    for i in range(count):
        coarse = rng.integers(0, 256, (size // 8, size // 8, 3),
                              dtype=np.uint8)
        image = mmcv.imresize(coarse, (size, size), interpolation='bilinear')
        noise = rng.integers(-24, 25, image.shape)
        image = np.clip(image.astype(int) + noise, 0, 255).astype(np.uint8)
        mmcv.imwrite(image, osp.join(folder, f'{i:05d}.jpg'))


def tool_args(config, checkpoint, img_dir, num_images, args):
    """The CKA tool's own parsed command line for this run."""
    tool = cka_tool.parse_args([
        config, checkpoint, '--img-dir', img_dir, '--num-images',
        str(num_images), '--batch-size', str(args.batch_size),
        '--representation', args.representation, '--device', args.device,
        '--seed', str(args.seed)
    ])
    check_data_args(tool, cka_tool.MIN_BATCH, cka_tool.WHY)
    return tool


def run_minibatch(tool, prepared):
    """The tool's path: ``accumulate`` then ``compute``."""
    return cka_tool.accumulate(tool, prepared).compute()


def run_full_batch(tool, prepared):
    """The baseline: keep every batch's representations, then full-batch
    ``linear_cka`` of each pair of layers (symmetric: i <= j computed)."""
    kept = [[] for _ in prepared.layers]
    for xs in batch_features(prepared.model, prepared.layers,
                             model_batches(tool, prepared, drop_last=True,
                                           desc='full batch')):
        for store, feats in zip(kept, xs):
            store.append(cka_tool.representation(feats, tool.representation))
    feats = [torch.cat(store) for store in kept]
    del kept
    count = len(feats)
    matrix = torch.empty(count, count, dtype=torch.float64)
    for i in range(count):
        for j in range(i, count):
            matrix[i, j] = matrix[j, i] = linear_cka(feats[i], feats[j]).cpu()
    return matrix


RUNS = dict(minibatch=run_minibatch, full_batch=run_full_batch)


def timed_run(method, tool, prepared, device):
    """Wall and CPU seconds of one run, and its CKA matrix."""
    cpu = time.process_time()
    start = benchmark._clock(device)
    matrix = RUNS[method](tool, prepared)
    wall = benchmark._clock(device) - start
    cpu = time.process_time() - cpu
    return dict(wall=wall, cpu=cpu, matrix=matrix)


def measure(method, tool, prepared, device, repeats):
    """Throughput (``repeats`` timed runs) and peak memory (one counted
    run) of one method on ``tool.num_images``."""
    runs = [timed_run(method, tool, prepared, device) for _ in range(repeats)]
    _, peak = benchmark.allocation_peak(
        lambda: RUNS[method](tool, prepared), device)
    wall = statistics.median(r['wall'] for r in runs)
    cpu = statistics.median(r['cpu'] for r in runs)
    images = (tool.num_images // tool.batch_size) * tool.batch_size
    return dict(images=images, peak=peak, timed_runs=repeats, wall_s=wall,
                cpu_s=cpu,
                wall_images_per_s=images / wall,
                cpu_images_per_s=images / cpu,
                matrix=runs[0]['matrix'])


def feature_sizes(tool, prepared):
    """Values per image of each layer's representation (first batch)."""
    features = batch_features(prepared.model, prepared.layers,
                              model_batches(tool, prepared, drop_last=True,
                                            desc='shapes'))
    with contextlib.closing(features):
        return [cka_tool.representation(f, tool.representation)[0].numel()
                for f in next(features)]


def repeats_at(num_images, args):
    """Timed runs at ``num_images``: ``--repeats`` at the largest N, more
    at smaller N, so that every N times as many images."""
    return args.repeats * max(1, round(args.num_images[-1] / num_images))


def benchmark_model(config, checkpoint, img_dir, args):
    """Every method at every N, the model loaded once."""
    largest = tool_args(config, checkpoint, img_dir, args.num_images[-1],
                        args)
    prepared, _ = cka_tool.prepare_models(largest)
    # warm-up: one batch through both paths (lazy initialisations)
    warm = tool_args(config, checkpoint, img_dir, args.batch_size, args)
    for method in METHODS:
        RUNS[method](warm, prepared)
    sizes = feature_sizes(warm, prepared)
    runs = {method: [] for method in METHODS}
    for n in args.num_images:
        tool = tool_args(config, checkpoint, img_dir, n, args)
        for method in METHODS:
            print(f'  {n} images, {LABELS[method]}', flush=True)
            runs[method].append(measure(method, tool, prepared, args.device,
                                        repeats_at(n, args)))
    for method in METHODS:
        base = runs[method][0]['peak']
        for run in runs[method]:
            run['peak_ratio'] = run['peak'] / base if base else float('nan')
    for acc, full in zip(runs['minibatch'], runs['full_batch']):
        acc['max_abs_diff_to_full_batch'] = float(
            (acc['matrix'] - full['matrix']).abs().max())
    for method in METHODS:
        for run in runs[method]:
            run['matrix'] = run['matrix'].tolist()
    return dict(config=config, checkpoint=checkpoint, layers=prepared.layers,
                input_size=list(prepared.size), feature_sizes=sizes,
                batch_size=args.batch_size,
                representation=args.representation,
                num_images=args.num_images, repeats=args.repeats, runs=runs)


def flat_verdict(result, flat):
    """(met, the tool's largest ratio, the baseline's at the largest N)."""
    acc = max(run['peak_ratio'] for run in result['runs']['minibatch'])
    full = result['runs']['full_batch'][-1]['peak_ratio']
    return acc <= flat, acc, full


def _rate(value):
    return f'{value:,.0f}' if value >= 100 else f'{value:.1f}'


def _ratio(value):
    return f'{value:.2f}×'


def format_markdown(result, title, machine, command, flat):
    runs = result['runs']
    smallest = result['num_images'][0]
    acc_mem = runs['minibatch']
    full_mem = runs['full_batch']
    met, acc_ratio, full_ratio = flat_verdict(result, flat)
    kept = sum(result['feature_sizes']) * 4  # float32 features per image
    gpu = f', GPU {machine["gpu"]}' if 'gpu' in machine else ''
    threads = machine['threads']
    lines = [
        f'### {title}', '',
        f'`{result["config"]}`, checkpoint `{result["checkpoint"]}`; '
        f'{len(result["layers"])} layers (the tool\'s default: '
        f'`{result["layers"][0]}` … `{result["layers"][-1]}`), '
        f'representation `{result["representation"]}`: '
        f'{sum(result["feature_sizes"]):,} values per image over all layers '
        f'({_mib_exact(kept)} of float32 kept per image by the baseline).', '',
        f'Machine: {machine["cpu"]} ({machine["cpu_count"]} cores){gpu}; '
        f'device `{machine["device"]}`, {threads} torch '
        f'thread{"s" if threads != 1 else ""}, torch {machine["torch"]}, '
        f'Python {machine["python"]}.  ',
        f'Batch {result["batch_size"]}, '
        f'{", ".join(map(str, result["num_images"]))} images in one '
        f'process; throughput: median of {result["repeats"]} '
        f'run{"s" if result["repeats"] != 1 else ""} at '
        f'{result["num_images"][-1]} images, proportionally more at fewer '
        '(the same number of images timed at every N).', '',
        '| images | tool peak | tool peak / peak(' + str(smallest) +
        ') | baseline peak | baseline peak / peak(' + str(smallest) +
        ') | tool images/s (wall / CPU) | baseline images/s (wall / CPU) '
        '| max \\|ΔCKA\\| |',
        '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ]
    for acc, full in zip(acc_mem, full_mem):
        lines.append(
            f'| {acc["images"]} | {benchmark._mib(acc["peak"])} | '
            f'{_ratio(acc["peak_ratio"])} | {benchmark._mib(full["peak"])} | '
            f'{_ratio(full["peak_ratio"])} | '
            f'{_rate(acc["wall_images_per_s"])} / '
            f'{_rate(acc["cpu_images_per_s"])} | '
            f'{_rate(full["wall_images_per_s"])} / '
            f'{_rate(full["cpu_images_per_s"])} | '
            f'{acc["max_abs_diff_to_full_batch"]:.3f} |')
    verdict = 'met' if met else 'NOT met'
    largest = result['num_images'][-1]
    device = machine['device']
    if device.startswith('cuda'):
        how = ('`torch.cuda.max_memory_allocated` above the memory allocated '
               'before the run')
    else:
        how = ('the peak of the running sum of torch\'s CPU allocations and '
               'frees that `torch.profiler` (`profile_memory=True`) records '
               'during the run (oneDNN scratch memory and Python objects not '
               'included)')
    lines += [
        '',
        f'**Target: the tool\'s peak memory flat in the number of images '
        f'(peak(N) / peak({smallest}) ≤ {flat:.2f}× up to N = {largest}): '
        f'{verdict} (at most {_ratio(acc_ratio)}; the full-batch baseline '
        f'in the same process: {_ratio(full_ratio)} at {largest}).**', '',
        f'Peak memory: {how}, in a separate run; the model and anything '
        'allocated before the run are not counted. '
        'Throughput: images per second of one run from the image folder to '
        'the CKA matrix (reading and resizing the images, the forward pass '
        'with feature capture, the HSIC updates or the final full-batch '
        'CKA); the fixed costs of a run (listing the folder, the first batch) '
        'weigh most at the smallest N. max |ΔCKA|: the largest difference '
        'between the two matrices (the minibatch unbiased and the full-batch '
        'biased estimators; both tend to the same value as N grows).', '',
        f'Reproduce: `{command}`',
    ]
    return '\n'.join(lines)


def _mib_exact(nbytes):
    return f'{nbytes / 2**10:,.1f} KiB' if nbytes < 2**20 \
        else benchmark._mib(nbytes)


def reproduce_command(args, name, config, checkpoint):
    cmd = ['python', TOOL]
    cmd += ['--models', name] if name in MODELS else [
        '--model', name, config, checkpoint]
    cmd += ['--num-images', *map(str, args.num_images), '--batch-size',
            str(args.batch_size)]
    if args.representation != 'tokens':
        cmd += ['--representation', args.representation]
    if args.img_dir:
        cmd += ['--img-dir', args.img_dir]
    cmd += ['--device', args.device, '--threads', str(args.threads)]
    if args.repeats != 1:
        cmd += ['--repeats', str(args.repeats)]
    if args.out:
        cmd += ['--out', args.out]
    return shlex.join(cmd)


def section_name(args, name):
    return f'{SECTION}:{name}' + ('' if args.device == 'cpu' else '-cuda')


def main(argv=None):
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    args.threads = torch.get_num_threads()
    models = selected_models(args)
    machine = benchmark.machine_info(args.device, args.threads)
    raw = {}
    with tempfile.TemporaryDirectory(prefix='cka_images_') as temp:
        img_dir = args.img_dir
        if img_dir is None:
            img_dir = temp
            write_images(img_dir, args.num_images[-1], seed=args.seed)
        else:
            count = len(image_files(img_dir))
            if count < args.num_images[-1]:
                raise SystemExit(f'{img_dir} holds {count} images, fewer '
                                 f'than {args.num_images[-1]}')
        for name, title, config, checkpoint in models:
            print(f'\n{title}: {", ".join(map(str, args.num_images))} images,'
                  f' batch {args.batch_size}, {args.device}, {args.threads} '
                  'threads', flush=True)
            result = benchmark_model(repo_path(config), checkpoint, img_dir,
                                     args)
            result['config'] = config  # as given
            command = reproduce_command(args, name, config, checkpoint)
            body = format_markdown(result, title, machine, command, args.flat)
            print('\n' + body)
            if args.out:
                benchmark.write_section(args.out, section_name(args, name),
                                        body)
            raw[name] = dict(result, machine=machine, command=command)
    if args.out:
        print(f'\nwritten to {args.out}')
    if args.json:
        os.makedirs(osp.dirname(osp.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w') as f:
            json.dump(raw, f, indent=1, default=str)


if __name__ == '__main__':
    main()

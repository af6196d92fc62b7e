"""The README demo: SG-MIM vs SimMIM pre-training on SynthScenes (same Swin
encoder, batch and iterations), then transfer from each encoder and from random
initialisation to UperNet segmentation (ADE20K layout) and GLPDepth-style
depth (NYUv2 layout), and a results table.

    python tools/demo.py [--work-dir work_dirs/demo] [--with-lut]

``--with-lut`` adds MAE and LUT pre-training of one ViT-nano encoder (same
batch and iterations), each and random initialisation fine-tuned for 4-class
scene classification (the LUT paper's fine-tuning recipe, CPU-sized), and a
second table.

Runs from the repository root with the data at ``data/synthscenes`` (``make
data``). Every step is an ordinary ``tools/train.py`` / ``tools/test.py`` run
of a ``configs/synth`` config; their logs are kept under the work directory.
"""
import argparse
import json
import os.path as osp
import sys
from pathlib import Path

from sgmim.studies.study import (checkpoint_options, last_checkpoint,
                                  run_tool, test_metrics)

REPO = Path(__file__).resolve().parents[1]
SYNTH = REPO / 'configs' / 'synth'
PRETRAIN = {
    'SimMIM': SYNTH / 'simmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py',
    'SG-MIM': SYNTH / 'sgmim_swin-nano-w3_1xb16-coslr-20e_synthscenes-96px.py',
}
TRANSFER = {
    'UperNet': SYNTH / 'upernet_swin-nano-w7_1xb4-40it_synthscenes-ade-128x128.py',
    'depth': SYNTH / 'glpdepth_swin-nano-w3_1xb4-200it_synthscenes-nyu-96x96.py',
}
# --with-lut: the MAE baseline and LUT on one ViT-nano encoder
LUT_PRETRAIN = {
    'MAE': SYNTH / 'mae_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py',
    'LUT': SYNTH / 'lut_vit-nano-p16_1xb16-coslr-20e_synthscenes-96px.py',
}
LUT_TRANSFER = {
    'classification': SYNTH / 'vit-nano-p16_1xb16-coslr-5e_synthscenes-96px.py',
}


def run_step(name, script, args, work_dir):
    """Run one tool, logging to ``<work_dir>/<name>.log``; stop on failure."""
    log = work_dir / f'{name}.log'
    print(f'[demo] {name:<28} ...', end='', flush=True)
    code, seconds = run_tool(script, args, log, cwd=REPO)
    print(f' {seconds:5.1f} s')
    if code != 0:
        sys.exit(f'[demo] {name} failed (exit {code}); see {log}')


def logged_losses(run_dir, key=None):
    """A logged loss from ``vis_data/scalars.json``: ``key``, or the image
    reconstruction loss (SG-MIM's ``loss_img``, LUT's ``loss_mae``, SimMIM's
    and MAE's ``loss``); empty when the run did not log it."""
    scalars = sorted(Path(run_dir).glob('*/vis_data/scalars.json'))[-1]
    records = [json.loads(line) for line in scalars.read_text().splitlines()]
    if key is None:
        key = next((k for k in ('loss_img', 'loss_mae') if k in records[0]),
                   'loss')
    return [r[key] for r in records if key in r]


def image_losses(run_dir):
    """Logged image reconstruction loss of a pre-training run."""
    return logged_losses(run_dir)


def pretrain(work_dir, method, configs=PRETRAIN):
    run_dir = work_dir / f'pretrain_{method.lower().replace("-", "")}'
    run_step(f'pre-train {method}', 'train.py',
             [configs[method], '--work-dir', run_dir], work_dir)
    return run_dir


def transfer(work_dir, name, checkpoint, tasks=TRANSFER):
    """Fine-tune every task of ``tasks`` from ``checkpoint`` (None: random
    init) and test it; returns the merged test metrics."""
    options = ['--cfg-options', *checkpoint_options(checkpoint)
               ] if checkpoint else []
    metrics = {}
    for task, config in tasks.items():
        run_dir = work_dir / f'{task.lower()}_{name.lower().replace("-", "")}'
        run_step(f'{task} ({name})', 'train.py',
                 [config, '--work-dir', run_dir, *options], work_dir)
        run_step(f'test {task} ({name})', 'test.py',
                 [config, last_checkpoint(run_dir), '--work-dir',
                  run_dir / 'test'], work_dir)
        metrics.update(test_metrics(run_dir / 'test'))
    return metrics


def print_table(image_losses, results):
    """Image reconstruction loss (first -> last logged), UperNet mIoU/aAcc
    and depth δ1/abs_rel/RMSE for each encoder initialisation."""
    print('\n| encoder init | L1 image loss  | mIoU  | aAcc  | depth δ1 | '
          'abs_rel | RMSE (m) |')
    print('|--------------|----------------|-------|-------|----------|'
          '---------|----------|')
    for name, m in results.items():
        losses = image_losses.get(name)
        loss = f'{losses[0]:.3f} -> {losses[-1]:.3f}' if losses else '-'
        print(f'| {name:<12} | {loss:<14} | {m["mIoU"]:5.2f} | '
              f'{m["aAcc"]:5.2f} | {m["d1"]:8.3f} | {m["abs_rel"]:7.3f} | '
              f'{m["rmse"]:8.3f} |')


def first_last(losses):
    return f'{losses[0]:.3f} -> {losses[-1]:.3f}' if losses else '-'


def print_lut_table(losses, results):
    """ViT-nano: MAE loss and LUT's context loss (first -> last logged) and
    classification top-1 for each encoder initialisation."""
    print('\n| ViT-nano init | MAE loss       | context loss   | top-1 |')
    print('|---------------|----------------|----------------|-------|')
    for name, m in results.items():
        mae, ctx = losses.get(name, ([], []))
        print(f'| {name:<13} | {first_last(mae):<14} | '
              f'{first_last(ctx):<14} | {m["accuracy/top1"]:5.2f} |')


def lut_demo(work_dir):
    """MAE and LUT pre-training of one ViT-nano encoder, then each and random
    initialisation fine-tuned for classification; the second table."""
    results, losses = {
        'random': transfer(work_dir, 'random', None, LUT_TRANSFER)}, {}
    for method in LUT_PRETRAIN:
        run_dir = pretrain(work_dir, method, LUT_PRETRAIN)
        losses[method] = (logged_losses(run_dir),
                          logged_losses(run_dir, 'loss_ctx'))
        results[method] = transfer(work_dir, method, last_checkpoint(run_dir),
                                   LUT_TRANSFER)
    print_lut_table(losses, results)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument(
        '--with-lut', action='store_true',
        help='also pre-train MAE and LUT (ViT-nano), fine-tune them for '
        'classification and print a second table')
    args = parser.parse_args(argv)
    work_dir = (REPO / args.work_dir).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    if not osp.isdir(REPO / 'data' / 'synthscenes'):
        sys.exit('[demo] data/synthscenes is missing: run `make data` first')

    results, losses = {'random': transfer(work_dir, 'random', None)}, {}
    for method in PRETRAIN:
        run_dir = pretrain(work_dir, method)
        losses[method] = image_losses(run_dir)
        results[method] = transfer(work_dir, method, last_checkpoint(run_dir))
    print_table(losses, results)
    if args.with_lut:
        lut_demo(work_dir)


if __name__ == '__main__':
    main()

"""The README demo: SG-MIM vs SimMIM pre-training on SynthScenes (same Swin
encoder, batch and iterations), then transfer from each encoder and from random
initialisation to UperNet segmentation (ADE20K layout) and GLPDepth-style
depth (NYUv2 layout), and a results table.

    python tools/demo.py [--work-dir work_dirs/demo]

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


def run_step(name, script, args, work_dir):
    """Run one tool, logging to ``<work_dir>/<name>.log``; stop on failure."""
    log = work_dir / f'{name}.log'
    print(f'[demo] {name:<28} ...', end='', flush=True)
    code, seconds = run_tool(script, args, log, cwd=REPO)
    print(f' {seconds:5.1f} s')
    if code != 0:
        sys.exit(f'[demo] {name} failed (exit {code}); see {log}')


def image_losses(run_dir):
    """Logged image reconstruction loss (SimMIM's ``loss``, SG-MIM's
    ``loss_img``) from ``vis_data/scalars.json``."""
    scalars = sorted(Path(run_dir).glob('*/vis_data/scalars.json'))[-1]
    records = [json.loads(line) for line in scalars.read_text().splitlines()]
    key = 'loss_img' if 'loss_img' in records[0] else 'loss'
    return [r[key] for r in records if key in r]


def pretrain(work_dir, method):
    run_dir = work_dir / f'pretrain_{method.lower().replace("-", "")}'
    run_step(f'pre-train {method}', 'train.py',
             [PRETRAIN[method], '--work-dir', run_dir], work_dir)
    return run_dir


def transfer(work_dir, name, checkpoint):
    """Fine-tune every transfer task from ``checkpoint`` (None: random init)
    and test it; returns the merged test metrics."""
    options = ['--cfg-options', *checkpoint_options(checkpoint)
               ] if checkpoint else []
    metrics = {}
    for task, config in TRANSFER.items():
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    args = parser.parse_args()
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


if __name__ == '__main__':
    main()

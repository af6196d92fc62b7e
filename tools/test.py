"""Test a checkpoint with any sgmim config (mmpretrain, mmseg or mmdet).

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.pkl]
        [--show-dir DIR] [--tta] [--data-root DIR] [--cfg-options k=v ...]
        [--launcher ...]

``--cfg-options`` and ``--data-root`` as for ``tools/train.py``.
"""
import argparse
import copy
import os.path as osp

import project_python  # noqa: F401  before mmengine: may re-run in .venv
from mmengine.config import ConfigDict
from mmengine.logging import print_log

import sgmim  # noqa: F401  registers components, safe loading, sgmim::
from sgmim.models.depth import SlidingDepthEstimator
from sgmim.utils.run_config import (add_common_args, build_runner,
                                    leave_distributed, load_config,
                                    set_launcher, set_work_dir)

# Flip TTA model of each library, used when the config defines none.
DEFAULT_TTA_MODELS = dict(
    mmpretrain=dict(type='AverageClsScoreTTA'),
    mmseg=dict(type='SegTTAModel'),
    mmdet=dict(type='DetTTAModel',
               tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5),
                            max_per_img=100)))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    add_common_args(parser)
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='dump the predictions to this .pkl file')
    parser.add_argument('--show-dir',
                        help='save drawn predictions under this directory')
    parser.add_argument('--tta', action='store_true',
                        help='test-time augmentation (flip by default)')
    return parser.parse_args(argv)


def enable_visualization(cfg, show_dir: str) -> None:
    """Turn on the library's visualization hook, writing to ``show_dir``."""
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise KeyError('--show-dir needs default_hooks.visualization in the '
                       'config')
    if cfg.default_scope == 'mmpretrain':
        hook.update(enable=True, out_dir=show_dir)
    elif cfg.default_scope == 'mmseg':
        hook.update(draw=True, interval=1)
        cfg.visualizer.save_dir = show_dir
    else:
        hook.update(draw=True, test_out_dir=osp.abspath(show_dir))


def estimator_flip_class(cfg):
    """The model class of a depth-estimation config whose ``--tta`` is the
    estimator's own flip averaging, else None.

    That is a ``DepthEstimator`` config without ``tta_model`` or with the
    ``SegTTAModel`` every mmseg config inherits from mmseg's default
    runtime: it merges segmentation logits, which a depth estimator does
    not produce.
    """
    tta_model = cfg.get('tta_model') or dict(type='SegTTAModel')
    if (cfg.default_scope != 'mmseg'
            or tta_model['type'].split('.')[-1] != 'SegTTAModel'):
        return None
    from mmseg.models import DepthEstimator
    from mmseg.registry import MODELS
    model_class = MODELS.get(cfg.model.type)
    is_depth = isinstance(model_class, type) and issubclass(
        model_class, DepthEstimator)
    return model_class if is_depth else None


def enable_estimator_flip(cfg, model_class) -> None:
    """TTA of a depth estimator: ``SlidingDepthEstimator`` averages the
    prediction with that of the flipped input (``test_cfg.flip=True``)."""
    if not issubclass(model_class, SlidingDepthEstimator):
        raise ValueError(
            f'--tta: {cfg.model.type} has no flip test-time augmentation; '
            'use type=\'SlidingDepthEstimator\' (test_cfg.flip) or define '
            'a depth tta_model and tta_pipeline in the config')
    cfg.model.test_cfg = dict(cfg.model.get('test_cfg') or {}, flip=True)
    print_log(f'--tta: {cfg.model.type} averages the prediction with that '
              'of the flipped image (model.test_cfg.flip=True)',
              logger='current')


def enable_tta(cfg) -> None:
    """Wrap the model in the TTA model and use the TTA pipeline.

    Without ``tta_pipeline`` in the config, the last transform (the packer) is
    replaced by a horizontal-flip ``TestTimeAug`` around it. A depth
    estimator flips in the model instead (:func:`estimator_flip_class`).
    """
    depth_class = estimator_flip_class(cfg)
    if depth_class is not None:
        enable_estimator_flip(cfg, depth_class)
        return
    dataset = cfg.test_dataloader.dataset
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset.dataset
    if 'tta_pipeline' not in cfg:
        pipeline = copy.deepcopy(dataset.pipeline)
        pipeline[-1] = dict(
            type='TestTimeAug',
            transforms=[[dict(type='RandomFlip', prob=1.0),
                         dict(type='RandomFlip', prob=0.0)],
                        [dataset.pipeline[-1]]])
        cfg.tta_pipeline = pipeline
    tta_model = cfg.get('tta_model',
                        DEFAULT_TTA_MODELS[cfg.default_scope])
    cfg.model = ConfigDict(**tta_model, module=cfg.model)
    dataset.pipeline = cfg.tta_pipeline


def add_dump_metric(runner, scope: str, out: str) -> None:
    if not out.endswith(('.pkl', '.pickle')):
        raise ValueError(f'--out must name a .pkl file, got {out!r}')
    if scope == 'mmdet':
        from mmdet.evaluation import DumpDetResults as Dump
    else:
        from mmengine.evaluator import DumpResults as Dump
    runner.test_evaluator.metrics.append(Dump(out_file_path=out))


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.data_root)
    set_launcher(cfg, args.launcher)
    set_work_dir(cfg, args.work_dir, args.config)
    cfg.load_from = args.checkpoint
    if args.show_dir:
        enable_visualization(cfg, args.show_dir)
    if args.tta:
        enable_tta(cfg)
    runner = build_runner(cfg)
    if args.out:
        add_dump_metric(runner, cfg.default_scope, args.out)
    runner.test()
    leave_distributed()


if __name__ == '__main__':
    main()

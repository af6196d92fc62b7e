"""Every pre-training and transfer config, resolved and stepped through its
whole learning-rate schedule with mmengine, meets the published recipe at
its key points (REFERENCE.md §1, §5; the SimMIM, MAE and
MIM-Depth-Estimation code): warm-up start and end, the step epoch, the
cosine / poly end values, and, under layer-wise decay, every group's curve
is the top group's times its lr_scale (floor included).

The expected values below are written from the papers' numbers (base lr ×
total batch / 512 for SimMIM; the depth code's 3e-5 → 5e-4 → 3e-5 over
12 + 12 of 25 epochs), not from the configs.
"""
import math
from pathlib import Path

import pytest
from mmengine.config import Config

import sgmim  # noqa: F401
from recipe_schedule import lr_trace

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
E = 4  # iterations per epoch for epoch-based pre-training schedules
SYNTH_E = 200  # enough for the short synth cosines to reach their floor
COCO_EPOCH = 117266 // 32  # Mask R-CNN: COCO train2017 at batch 32
IN1K_FT_EPOCH = 1281167 // 1024  # ImageNet fine-tuning at batch 1024
IN1K_SWIN_FT_EPOCH = 1281167 // 2048
IN1K_LINEAR_EPOCH = 1281167 // 16384

SCALE = 1024 / 512  # SimMIM / SG-MIM: lr x total batch / 512


def epochs(n, length=E):
    return n * length


def depth_points(num_images, lr=5e-4, min_lr=3e-5, batch=24, num_epochs=25):
    """The authors' depth curve: min -> max as t^0.9 over 12 epochs, then
    max - (max - min)·s^0.9 over 12, min in the 25th (MeSa's 75 epochs:
    37 + 37, min in the 75th)."""
    half = num_epochs // 2 * num_images // batch
    end = num_epochs * num_images // batch
    mid = (half // 2) / half
    rise = min_lr + (lr - min_lr) * mid**0.9
    fall = lr - (lr - min_lr) * mid**0.9
    return [('warm-up start', 0, min_lr), ('mid rise', half // 2, rise),
            ('peak', half, lr), ('mid fall', half + half // 2, fall),
            ('floor', 2 * half, min_lr), ('last iteration', end - 1, min_lr)]


PRETRAIN_100E = [('warm-up start', 0, 1e-6 * SCALE),
                 ('warm-up end', epochs(10), 2e-4 * SCALE),
                 ('cosine middle', epochs(55), (2e-4 + 1e-5) / 2 * SCALE),
                 ('cosine end', epochs(100) - 1, 1e-5 * SCALE)]
PRETRAIN_800E = [('warm-up start', 0, 5e-7 * SCALE),
                 ('warm-up end', epochs(10), 1e-4 * SCALE),
                 ('before the step', epochs(700) - 1, 1e-4 * SCALE),
                 ('step epoch 700', epochs(700), 1e-5 * SCALE),
                 ('end', epochs(800) - 1, 1e-5 * SCALE)]
# SimMIM ViT-B at 400 epochs (MTO's ablation length; our schedule): the
# 800-epoch recipe with the step at epoch 350
PRETRAIN_400E = [('warm-up start', 0, 5e-7 * SCALE),
                 ('warm-up end', epochs(10), 1e-4 * SCALE),
                 ('before the step', epochs(350) - 1, 1e-4 * SCALE),
                 ('step epoch 350', epochs(350), 1e-5 * SCALE),
                 ('end', epochs(400) - 1, 1e-5 * SCALE)]
SYNTH_PRETRAIN = [('warm-up start', 0, 1e-6),
                  ('warm-up end', epochs(2, SYNTH_E), 1e-3),
                  ('cosine end', epochs(20, SYNTH_E) - 1, 1e-5)]
MASK_RCNN_3X = [('warm-up start', 0, 8e-8), ('warm-up end', 1000, 8e-5),
                ('before step 1', epochs(27, COCO_EPOCH) - 1, 8e-5),
                ('step epoch 27', epochs(27, COCO_EPOCH), 8e-6),
                ('step epoch 33', epochs(33, COCO_EPOCH), 8e-7),
                ('end', epochs(36, COCO_EPOCH) - 1, 8e-7)]
UPERNET = [('warm-up start', 0, 1e-4 * 1e-6), ('warm-up end', 1500, 1e-4)]
# LUT (main_lut.py): lr = blr * sqrt(total batch) / 4, blr 1.5e-4, batch
# 4096; linear warm-up over 40 epochs, half cosine to 0
LUT_LR = 1.5e-4 * math.sqrt(4096) / 4


def lut_points(total_epochs, warmup=40):
    cosine = epochs(total_epochs - warmup)  # iterations of the half cosine
    return [('warm-up start', 0, LUT_LR * 1e-4),
            ('warm-up end', epochs(warmup), LUT_LR),
            ('cosine middle', epochs((warmup + total_epochs) // 2),
             LUT_LR / 2),
            ('last iteration', epochs(total_epochs) - 1,
             LUT_LR * (1 + math.cos(math.pi * (cosine - 1) / cosine)) / 2)]



def mae_pretrain(num_epochs, start_factor=1e-4, warmup=40, length=E):
    """MAE / LUT pre-training (MAE paper Table 8, LUT's main_lut.py): batch
    4096, blr 1.5e-4, lr = blr·4096/256 = blr·√4096/4 = 2.4e-3, linear
    warm-up over 40 epochs, then cosine to 0: half the peak midway, and
    peak·(1 + cos(π(T−1)/T))/2 at the last of its T iterations."""
    peak = 1.5e-4 * 4096 / 256
    assert peak == pytest.approx(1.5e-4 * math.sqrt(4096) / 4)
    cosine = (num_epochs - warmup) * length
    return [('warm-up start', 0, peak * start_factor),
            ('warm-up end', epochs(warmup, length), peak),
            ('cosine middle', epochs(warmup, length) + cosine // 2,
             peak / 2),
            ('last iteration', epochs(num_epochs, length) - 1,
             peak * (1 + math.cos(math.pi * (cosine - 1) / cosine)) / 2)]


#: config (relative to configs/) -> (epoch length, [(point, iteration, lr)])
RECIPES = {
    'simmim/simmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-192px.py':
    (E, PRETRAIN_100E),
    'simmim/simmim_swinv2-base-w12_8xb128-amp-coslr-100e_in1k-192px.py':
    (E, PRETRAIN_100E),
    'sgmim/sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-192px.py':
    (E, PRETRAIN_100E),
    'sgmim/sgmim_swinv2-base-w12_8xb128-amp-coslr-100e_in1k-192px.py':
    (E, PRETRAIN_100E),
    'simmim/simmim_swin-base-w6_8xb128-amp-step-800e_in1k-192px.py':
    (E, PRETRAIN_800E),
    'simmim/simmim_swinv2-base-w12_8xb128-amp-step-800e_in1k-192px.py':
    (E, PRETRAIN_800E),
    'simmim/simmim_vit-base-p16_8xb128-amp-step-800e_in1k-224px.py':
    (E, PRETRAIN_800E),
    'simmim/simmim_vit-base-p16_8xb128-amp-step-400e_in1k-224px.py':
    (E, PRETRAIN_400E),
    'sgmim/sgmim_swin-base-w6_8xb128-amp-step-800e_in1k-192px.py':
    (E, PRETRAIN_800E),
    'sgmim/sgmim_swinv2-base-w12_8xb128-amp-step-800e_in1k-192px.py':
    (E, PRETRAIN_800E),
    'sgmim/sgmim_vit-base-p16_8xb128-amp-step-800e_in1k-224px.py':
    (E, PRETRAIN_800E),
    **{
        f'sgmim/ablations/{name}_swin-base-w6_8xb128-amp-coslr-100e_in1k-'
        '192px.py': (E, PRETRAIN_100E)
        for name in ('sgmim-ls0.01', 'sgmim-ls0.1', 'sgmim-ls0',
                     'sgmim-mask0.5', 'sgmim-mask0.7', 'sgmim-randmask',
                     'sgmim-siamese', 'sgmim-transformer')
    },
    # MAE baselines: mmpretrain's recipe (its 800e warm-up starts at 1e-9)
    **{
        f'mae/mae_vit-{arch}-p16_8xb512-amp-coslr-{n}e_in1k.py':
        (E, mae_pretrain(n, start_factor=1e-9 if n == 800 else 1e-4))
        for arch in ('small', 'base', 'large') for n in (400, 800, 1600)
    },
    # MTO: the recipe of its baseline (SimMIM, MAE, SG-MIM), ablations
    # included
    **{
        f'mto/mto-simmim_vit-base-p16_8xb128-amp-step-{n}e_in1k-224px.py':
        (E, points)
        for n, points in ((400, PRETRAIN_400E), (800, PRETRAIN_800E))
    },
    **{
        f'mto/ablations/mto-simmim-{name}_vit-base-p16_8xb128-amp-step-400e_'
        'in1k-224px.py': (E, PRETRAIN_400E)
        for name in ('spa', 'e', 'r', 'spa-e', 'e-r')
    },
    **{
        f'mto/mto-mae_vit-{arch}-p16_8xb512-amp-coslr-{n}e_in1k.py':
        (E, mae_pretrain(n, start_factor=1e-9 if n == 800 else 1e-4))
        for arch in ('base', 'large') for n in (400, 800, 1600)
    },
    'mto/mto-sgmim_swin-base-w6_8xb128-amp-coslr-100e_in1k-192px.py':
    (E, PRETRAIN_100E),
    **{
        f'synth/{name}_1xb16-coslr-20e_synthscenes-96px.py':
        (SYNTH_E, SYNTH_PRETRAIN)
        for name in ('simmim_swin-nano-w3', 'simmim_swinv2-nano-w3',
                     'sgmim_swin-nano-w3',
                     'sgmim_swinv2-nano-w3', 'sgmim_vit-nano-p16',
                     'simmim_vit-nano-p16', 'lut_vit-nano-p16',
                     'lut-simmim_vit-nano-p16', 'mae_vit-nano-p16',
                     'mto-simmim_vit-nano-p16', 'mto-mae_vit-nano-p16',
                     'mto-sgmim_swin-nano-w3', 'mto-simmim-spa_vit-nano-p16',
                     'mto-simmim-e_vit-nano-p16', 'mto-simmim-r_vit-nano-p16',
                     'mto-simmim-spa-e_vit-nano-p16',
                     'mto-simmim-e-r_vit-nano-p16')
    },
    # LUT: 1600 epochs (ViT-S, ViT-B), 400 for the ablations
    **{
        f'lut/lut_{enc}_8xb512-amp-coslr-1600e_in1k.py':
        (E, lut_points(1600))
        for enc in ('vit-small-p16', 'vit-base-p16')
    },
    'lut/lut_vit-base-p16_8xb512-amp-coslr-400e_in1k.py':
    (E, lut_points(400)),
    **{
        f'lut/ablations/{name}_vit-base-p16_8xb512-amp-coslr-400e_in1k.py':
        (E, lut_points(400))
        for name in ('lut-ctx0.1', 'lut-ctx0.5', 'lut-ctx1.0',
                     'lut-teacherall', 'lut-nocolor')
    },
    # LUT on SimMIM: SimMIM's ViT-B 800-epoch recipe
    'lut/lut-simmim_vit-base-p16_8xb128-amp-step-800e_in1k-224px.py':
    (E, PRETRAIN_800E),
    # depth: NYUv2 BTS list 24231 images, KITTI Eigen 23158, batch 24
    **{
        f'benchmarks/glpdepth/glpdepth_{enc}_8xb3-25e_nyu-480x480.py':
        (1, depth_points(24231))
        for enc in ('swin-base-w30', 'swinv2-base-w30', 'vit-base-p16')
    },
    'benchmarks/dpt/dpt_vit-base-p16_8xb3-25e_nyu-480x480.py':
    (1, depth_points(24231)),
    'benchmarks/glpdepth/glpdepth-authorshead_swinv2-base-w30_8xb3-25e_nyu-'
    '480x480.py': (1, depth_points(24231)),
    # the 795-image labeled split: the same 25 epochs, of 795 images
    'benchmarks/glpdepth/glpdepth_swin-base-w30_8xb3-25e_nyu-labeled795-'
    '480x480.py': (1, depth_points(795)),
    **{
        f'benchmarks/glpdepth/glpdepth_{enc}_8xb3-25e_kitti-352x352.py':
        (1, depth_points(23158))
        for enc in ('swin-base-w22', 'swinv2-base-w22', 'vit-base-p16')
    },
    # synth depth: the same curve over 200 iterations at lr 2e-3
    **{
        f'synth/glpdepth_{enc}_1xb4-200it_synthscenes-{name}.py':
        (1, [('warm-up start', 0, 2e-3 * 0.06), ('peak', 96, 2e-3),
             ('floor', 192, 2e-3 * 0.06), ('last', 199, 2e-3 * 0.06)])
        for enc, name in (('swin-nano-w3', 'nyu-96x96'),
                          ('swin-nano-w3', 'kitti-64x64'),
                          ('swin-nano-w3', 'nyu-96x96_ibims-160x120'),
                          ('swinv2-nano-w3', 'nyu-96x96'),
                          ('swinv2-nano-w3', 'nyu-96x96_ibims-160x120'))
    },
    # the iBims-1 test of the NYUv2 SwinV2-B model (its schedule resolved)
    'benchmarks/depth_ood/glpdepth_swinv2-base-w30_nyu-480x480_ibims1-'
    '640x480.py': (1, depth_points(24231)),
    # MeSa: stage 1 SimMIM's 800 epochs; stages 2 and 3 SC-Depth's constant
    # Adam lr 1e-4 for 100k iterations (synth: 40); NYUv2 fine-tuning the
    # depth curve over 75 epochs
    'mesa/mesa-masked_swinv2-large-w12_8xb128-amp-step-800e_in1k-192px.py':
    (E, PRETRAIN_800E),
    **{
        f'mesa/mesa-{stage}_swinv2-{arch}-w30_8xb1-amp-adam-100k_nyu-raw-'
        '480x480.py': (1, [('start', 0, 1e-4), ('end', 99999, 1e-4)])
        for stage in ('geometric', 'supervised') for arch in ('base', 'large')
    },
    # SC-DepthV2 itself: the same constant Adam lr 1e-4, batch 8, 100k
    'mesa/scdepthv2_resnet18_1xb8-adam-100k_nyu-raw-256x320.py':
    (1, [('start', 0, 1e-4), ('end', 99999, 1e-4)]),
    **{
        f'mesa/mesa-{stage}_swinv2-base-w16_8xb1-amp-adam-100k_kitti-raw-'
        '256x832.py': (1, [('start', 0, 1e-4), ('end', 99999, 1e-4)])
        for stage in ('geometric', 'supervised')
    },
    **{
        f'synth/mesa-{stage}_swinv2-nano-w3_1xb4-40it_synthscenes-traj-'
        '96x128.py': (1, [('start', 0, 1e-4), ('end', 39, 1e-4)])
        for stage in ('geometric', 'supervised')
    },
    **{
        f'mesa/glpdepth_swinv2-{arch}-w30_8xb3-75e_nyu-480x480.py':
        (1, depth_points(24231, num_epochs=75))
        for arch in ('base', 'large')
    },
    # segmentation: AdamW lr 1e-4, 1500 warm-up iterations, linear decay
    'benchmarks/upernet/upernet_swin-base-w20_8xb4-80k_ade20k-640x640.py':
    (1, UPERNET + [('poly middle', (1500 + 80000) // 2, 5e-5),
                   ('end', 79999, 0.)]),
    'benchmarks/upernet/upernet_swinv2-base-w20_8xb4-80k_ade20k-640x640.py':
    (1, UPERNET + [('poly middle', (1500 + 80000) // 2, 5e-5),
                   ('end', 79999, 0.)]),
    'benchmarks/upernet/upernet_vit-base-p16_8xb2-160k_ade20k-512x512.py':
    (1, UPERNET + [('poly middle', (1500 + 160000) // 2, 5e-5),
                   ('end', 159999, 0.)]),
    'benchmarks/upernet/upernet_swin-base-w7_8xb2-160k_ade20k-512x512.py':
    (1, UPERNET + [('end', 159999, 0.)]),
    'synth/upernet_swin-nano-w7_1xb4-40it_synthscenes-ade-128x128.py':
    (1, [('warm-up start', 0, 5e-7), ('warm-up end', 5, 5e-4),
         ('end', 39, 0.)]),
    # detection: 3x = 36 epochs, lr 8e-5, x0.1 at epochs 27 and 33
    'benchmarks/mask_rcnn/mask-rcnn_swin-base-w14_fpn_8xb4-lsj-3x_coco.py':
    (COCO_EPOCH, MASK_RCNN_3X),
    'benchmarks/mask_rcnn/mask-rcnn_swinv2-base-w14_fpn_8xb4-lsj-3x_coco.py':
    (COCO_EPOCH, MASK_RCNN_3X),
    'benchmarks/mask_rcnn/mask-rcnn_vit-base-p16_simplefpn_8xb4-lsj-3x_coco.py':
    (COCO_EPOCH, MASK_RCNN_3X),
    'benchmarks/mask_rcnn/mask-rcnn_swin-base-w7_fpn_8xb2-1x_coco.py':
    (COCO_EPOCH, [('warm-up end', 1000, 1e-4),
                  ('step epoch 8', epochs(8, COCO_EPOCH), 1e-5),
                  ('step epoch 11', epochs(11, COCO_EPOCH), 1e-6)]),
    'synth/mask-rcnn_swin-nano-w7_fpn_1xb4-40it_synthscenes-coco-128.py':
    (1, [('warm-up start', 0, 2e-7), ('warm-up end', 5, 2e-4),
         ('step', 30, 2e-5)]),
    # ImageNet: MAE fine-tuning (blr 5e-4 x 1024 / 256, 5 warm-up epochs,
    # cosine to 1e-6) and linear probing (blr 0.1 x 16384 / 256, 10 warm-up
    # epochs, cosine to 0); SimMIM Swin fine-tuning (1.25e-3 x 2048 / 512,
    # 20 warm-up epochs from 1e-6, cosine to 1e-6)
    'benchmarks/classification/vit-base-p16_8xb128-coslr-100e_in1k.py':
    (IN1K_FT_EPOCH, [('warm-up end', epochs(5, IN1K_FT_EPOCH), 2e-3),
                     ('cosine end', epochs(100, IN1K_FT_EPOCH) - 1, 1e-6)]),
    # LUT fine-tuning: Table D (blr 2.5e-4 x 1024 / 256, layer decay 0.65)
    # and the authors' docs (blr 1e-3 x sqrt(1024) / 8, decay 0.75); 5
    # warm-up epochs from 1e-4 x lr, cosine to 1e-6 (x lr_scale per group)
    **{
        f'benchmarks/classification/vit-base-p16_8xb128-{name}-coslr-100e_'
        'in1k.py': (IN1K_FT_EPOCH, [
            ('warm-up start', 0, lr * 1e-4),
            ('warm-up end', epochs(5, IN1K_FT_EPOCH), lr),
            ('cosine middle', epochs(5, IN1K_FT_EPOCH) +
             epochs(95, IN1K_FT_EPOCH) // 2, (lr + 1e-6) / 2),
            ('cosine end', epochs(100, IN1K_FT_EPOCH) - 1, 1e-6)])
        for name, lr in (('lut', 2.5e-4 * 1024 / 256),
                         ('lut-docs', 1e-3 * math.sqrt(1024) / 8))
    },
    'benchmarks/classification/swin-base-w7_8xb256-coslr-100e_in1k.py':
    (IN1K_SWIN_FT_EPOCH, [
        ('warm-up start', 0, 1e-6),
        ('warm-up end', epochs(20, IN1K_SWIN_FT_EPOCH), 5e-3),
        ('cosine end', epochs(100, IN1K_SWIN_FT_EPOCH) - 1, 1e-6)]),
    **{
        f'benchmarks/classification/{enc}_8xb2048-linear-coslr-90e_in1k.py':
        (IN1K_LINEAR_EPOCH, [
            ('warm-up end', epochs(10, IN1K_LINEAR_EPOCH), 6.4),
            ('cosine end', epochs(90, IN1K_LINEAR_EPOCH) - 1, 0.)])
        for enc in ('vit-base-p16', 'swin-base-w7')
    },
    'synth/swin-nano-w3_1xb16-coslr-5e_synthscenes-96px.py':
    (SYNTH_E, [('warm-up start', 0, 1e-6),
               ('warm-up end', epochs(1, SYNTH_E), 1e-3),
               ('cosine end', epochs(5, SYNTH_E) - 1, 1e-5)]),
    # the LUT fine-tuning curve (warm-up from 1e-4 x lr, cosine to 1e-6)
    # over 1 + 4 epochs at lr 1e-3
    'synth/vit-nano-p16_1xb16-coslr-5e_synthscenes-96px.py':
    (SYNTH_E, [('warm-up start', 0, 1e-3 * 1e-4),
               ('warm-up end', epochs(1, SYNTH_E), 1e-3),
               ('cosine middle', epochs(3, SYNTH_E), (1e-3 + 1e-6) / 2),
               ('last iteration', epochs(5, SYNTH_E) - 1, 1e-6 + (1e-3 - 1e-6)
                * (1 + math.cos(math.pi * (epochs(4, SYNTH_E) - 1) /
                                epochs(4, SYNTH_E))) / 2)]),
}

LAYER_DECAY_CONSTRUCTORS = ('LayerDecayOptimWrapperConstructor',
                            'LearningRateDecayOptimWrapperConstructor')
ALL_CONFIGS = sorted(
    str(p.relative_to(CONFIGS))
    for folder in ('sgmim', 'simmim', 'lut', 'mae', 'mto', 'mesa',
                   'benchmarks', 'synth')
    for p in (CONFIGS / folder).rglob('*.py') if 'studies' not in p.parts)


def test_every_config_has_a_recipe():
    """A new config gets its key points here, or this test fails."""
    assert sorted(RECIPES) == ALL_CONFIGS


@pytest.mark.parametrize('name', sorted(RECIPES))
def test_learning_rate_at_the_key_points(name):
    epoch_length, points = RECIPES[name]
    cfg = Config.fromfile(str(CONFIGS / name))
    layer_decay = cfg.optim_wrapper.get('constructor') in \
        LAYER_DECAY_CONSTRUCTORS
    scales = (1., 0.9**12) if layer_decay else (1., )
    trace = lr_trace(cfg, epoch_length, scales)
    peak = max(lr for lr, *_ in trace)
    for point, step, expected in points:
        lr = trace[step][0]
        # abs: a schedule's last iteration stops a hair short of its end
        assert lr == pytest.approx(expected, rel=2e-3, abs=1e-6 * peak), \
            f'{name}: lr at {point} (iteration {step}) is {lr}, ' \
            f'expected {expected}'
    if layer_decay:
        for step, (top, low) in enumerate(trace):
            assert low == pytest.approx(top * scales[1], rel=1e-6,
                                        abs=1e-15), \
                f'{name}: a layer-decay group at iteration {step} has lr ' \
                f'{low}, not lr_scale x {top}'


def test_depth_curve_is_the_authors_formula():
    """PolyOneCycleLR against the depth code's loop (train.py L184-198)
    written out: every iteration of the NYU recipe."""
    cfg = Config.fromfile(str(
        CONFIGS / 'benchmarks/glpdepth/'
        'glpdepth_swin-base-w30_8xb3-25e_nyu-480x480.py'))
    trace = lr_trace(cfg, 1, (1., 0.5))
    iterations = 24231 / 24  # per epoch
    half_epoch = 25 // 2
    for step in range(0, len(trace), 7):
        t = step / iterations / half_epoch
        if t < 1:
            lr = (5e-4 - 3e-5) * t**0.9 + 3e-5
        else:
            lr = max(3e-5, (3e-5 - 5e-4) * (t - 1)**0.9 + 5e-4)
        # our steps are whole iterations of 25 * 24231 // 24 in all
        assert math.isclose(trace[step][0], lr, rel_tol=2e-3), step
        assert math.isclose(trace[step][1], 0.5 * trace[step][0],
                            rel_tol=1e-9)


DEPTH_CONFIGS = sorted(name for name in RECIPES
                       if name.startswith(('benchmarks/glpdepth/',
                                           'benchmarks/dpt/')))


@pytest.mark.parametrize('name', DEPTH_CONFIGS)
def test_depth_optimizer_is_the_authors(name):
    """MIM-Depth-Estimation configs/train_options.py and train.py: AdamW,
    betas (0.9, 0.999), weight decay 0.05 (the default no README command
    overrides), peak lr 5e-4, layer decay 0.9, batch 8 x 3."""
    cfg = Config.fromfile(str(CONFIGS / name))
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, tuple(optimizer.betas),
            optimizer.weight_decay) == ('AdamW', 5e-4, (0.9, 0.999), 0.05)
    assert cfg.optim_wrapper.paramwise_cfg.layer_decay_rate == 0.9
    assert cfg.train_dataloader.batch_size == 3

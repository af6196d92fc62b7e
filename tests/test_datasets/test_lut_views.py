"""LUT's two-view pipeline (configs/_base_/datasets/imagenet_bs512_lut_224.py)
and the transforms written for it: reflect padding as numpy's, hue as
torchvision's, exactly one of grayscale / solarize / blur on view 2, crops
drawn independently per view."""
from pathlib import Path

import numpy as np
import pytest
import torch
from mmcv.transforms import RandomChoice
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from PIL import Image
from torchvision.transforms import functional as TF

import sgmim  # noqa: F401
from mmpretrain.registry import TRANSFORMS
from sgmim.datasets.transforms import PaddedRandomCrop
from sgmim.datasets.transforms.safe_hue_color_jitter import adjust_hue

CONFIG = Path(__file__).resolve().parents[2] / (
    'configs/_base_/datasets/imagenet_bs512_lut_224.py')


def test_padding_is_numpy_reflect():
    img = np.random.default_rng(0).integers(0, 255, (6, 7, 3), np.uint8)
    padded = np.pad(img, ((4, 4), (4, 4), (0, 0)), mode='reflect')
    full = PaddedRandomCrop(crop_size=(14, 15), padding=4,
                            padding_mode='reflect')
    assert np.array_equal(full(dict(img=img.copy()))['img'], padded)
    crop = PaddedRandomCrop(crop_size=6, padding=4, padding_mode='reflect')
    for seed in range(5):
        np.random.seed(seed)
        out = crop(dict(img=img.copy()))['img']
        assert out.shape == (6, 6, 3)
        assert any(np.array_equal(out, padded[t:t + 6, l:l + 6])
                   for t in range(9) for l in range(10))
    assert crop.padding == 4  # restored after the call


@pytest.mark.parametrize('hue', [-0.5, -0.1, 0.05, 0.4])
def test_hue_is_torchvision(hue):
    img = np.random.default_rng(1).integers(0, 255, (8, 9, 3), np.uint8)
    expected = np.array(TF.adjust_hue(Image.fromarray(img[..., ::-1].copy()),
                                      hue))[..., ::-1]
    assert np.array_equal(adjust_hue(img, hue), expected)


def build_views():
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(str(CONFIG))
    multiview, = [t for t in cfg.train_pipeline if t.type == 'MultiView']
    assert multiview.num_views == [1, 1]
    return TRANSFORMS.build(multiview)


def instances(compose, cls):
    found = []
    for t in compose.transforms:
        if isinstance(t, cls):
            found.append(t)
        for child in getattr(t, 'transforms', []):
            if isinstance(child, Compose):
                found += instances(child, cls)
    return found


def test_view_2_gets_exactly_one_of_three_and_crops_are_independent():
    multiview = build_views()
    view1, view2 = multiview.pipelines
    choice, = instances(view2, RandomChoice)
    assert not instances(view1, RandomChoice)
    branches = [type(c.transforms[0]).__name__ for c in choice.transforms]
    assert branches == ['RandomGrayscale', 'Solarize', 'GaussianBlur']
    applied = []
    for i, branch in enumerate(choice.transforms):
        inner = branch.transforms[0]
        original = inner.transform

        def spy(results, i=i, original=original):
            applied[-1].append(i)
            return original(results)

        inner.transform = spy
    offsets = {id(view1): [], id(view2): []}
    for view in (view1, view2):
        crop, = instances(view, PaddedRandomCrop)
        draw = crop.rand_crop_params

        def record(img, view=view, draw=draw):
            params = draw(img)
            offsets[id(view)].append(params[:2])
            return params

        crop.rand_crop_params = record
    img = np.random.default_rng(2).integers(0, 255, (60, 80, 3), np.uint8)
    n = 120
    for seed in range(n):
        np.random.seed(seed)
        applied.append([])
        out = multiview(dict(img=img.copy()))
        first, second = out['img']
        assert first.shape == second.shape == (224, 224, 3)
    counts = [len(a) for a in applied]
    assert counts == [1] * n  # view 2: exactly one; view 1: none
    picked = np.bincount([a[0] for a in applied], minlength=3)
    assert picked.min() > n / 6  # each branch drawn (uniform: n / 3)
    o1, o2 = (np.array(offsets[id(v)]) for v in (view1, view2))
    assert o1.shape == o2.shape == (n, 2)
    # 9 x 9 offsets each: the views coincide ~1/81 of the time when drawn
    # independently, and their offsets are uncorrelated
    assert (o1 == o2).all(1).mean() < 0.1
    for axis in range(2):
        assert abs(np.corrcoef(o1[:, axis], o2[:, axis])[0, 1]) < 0.3


def test_the_two_views_reach_the_model_as_a_list():
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(str(CONFIG))
    pipeline = Compose([TRANSFORMS.build(t) for t in cfg.train_pipeline[1:]])
    img = np.random.default_rng(3).integers(0, 255, (64, 64, 3), np.uint8)
    packed = pipeline(dict(img=img))
    inputs = packed['inputs']
    assert isinstance(inputs, list) and len(inputs) == 2
    assert all(isinstance(v, torch.Tensor) and v.shape == (3, 224, 224)
               for v in inputs)

"""ImageNetWithStructureMap on generated SynthScenes data, and the full
SG-MIM data pipeline built through mmpretrain's registries."""
import os
import shutil

import cv2
import numpy as np
import pytest
import torch
from mmpretrain.registry import DATASETS

import sgmim  # noqa: F401  (registers the dataset and transforms)
from sgmim.datasets.synthscenes import generate
from sgmim.datasets.transforms import StructureMapError

SIZE = 64  # 192 for Swin / 224 for ViT in real configs

SGMIM_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadStructureMap'),
    dict(type='JointRandomResizedCrop', scale=SIZE,
         crop_ratio_range=(0.67, 1.0), aspect_ratio_range=(3 / 4, 4 / 3)),
    dict(type='JointRandomFlip', prob=0.5),
    dict(type='StructureMapStandardize'),
    dict(type='FormatStructureMap'),
    dict(type='SelectiveGuidanceMaskGenerator', input_size=SIZE,
         mask_patch_size=32, model_patch_size=4, mask_ratio=0.6),
    dict(type='PackInputs', algorithm_keys=['structure_map',
                                            'structure_mask']),
]


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('synthscenes')
    generate(root, seed=0, subsets=('imagenet', ), num_pretrain=8,
             num_pretrain_val=2, show_progress=False)
    return root / 'imagenet'


@pytest.fixture
def own_root(data_root, tmp_path):
    """A copy of the data that a test may damage."""
    return shutil.copytree(data_root, tmp_path / 'imagenet')


def build(root, split='train', pipeline=(), **kwargs):
    cfg = dict(type='ImageNetWithStructureMap', data_root=str(root),
               split=split, structure_map_prefix=f'pseudo_depth/{split}',
               pipeline=list(pipeline))
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def annotation(root, split):
    with open(os.path.join(root, 'meta', f'{split}.txt')) as f:
        return [line.split() for line in f.read().splitlines()]


@pytest.mark.parametrize('split', ['train', 'val'])
def test_each_image_is_paired_with_its_map(data_root, split):
    dataset = build(data_root, split)
    lines = annotation(data_root, split)
    assert len(dataset) == len(lines) == {'train': 8, 'val': 2}[split]
    for i, (name, label) in enumerate(lines):
        info = dataset.get_data_info(i)
        stem = os.path.splitext(name)[0]
        assert info['img_path'] == os.path.join(data_root, split, name)
        assert info['structure_map_path'] == os.path.join(
            data_root, 'pseudo_depth', split, stem + '.png')
        assert info['gt_label'] == int(label)
        assert os.path.isfile(info['structure_map_path'])


def test_ann_file_and_data_prefix_form(data_root):
    by_split = build(data_root)
    explicit = build(data_root, split='', ann_file='meta/train.txt',
                     data_prefix='train',
                     structure_map_prefix=str(data_root / 'pseudo_depth' /
                                              'train'))
    assert [explicit.get_data_info(i) for i in range(len(explicit))] == \
        [by_split.get_data_info(i) for i in range(len(by_split))]
    assert 'pseudo_depth' in repr(explicit)


@pytest.mark.parametrize('missing', [1, 8])
def test_missing_maps_raise_at_load_time(own_root, missing):
    names = [name for name, _ in annotation(own_root, 'train')][:missing]
    for name in names:
        os.remove(own_root / 'pseudo_depth' / 'train' /
                  name.replace('.JPEG', '.png'))
    with pytest.raises(FileNotFoundError) as error:
        build(own_root)
    message = str(error.value)
    assert f'{missing} of 8 structure maps are missing' in message
    listed = names[:5]
    for name in listed:
        assert str(own_root / 'train' / name) in message
        assert str(own_root / 'pseudo_depth' / 'train' /
                   name.replace('.JPEG', '.png')) in message
    assert message.count('expected map') == len(listed)
    if missing > 5:
        assert f'and {missing - 5} more' in message


def test_missing_map_folder_raises(data_root):
    with pytest.raises(FileNotFoundError, match='8 of 8'):
        build(data_root, structure_map_prefix='depth_v2/train')


@pytest.mark.parametrize('kwargs,argument', [
    (dict(structure_map_prefix=''), 'structure_map_prefix'),
    (dict(structure_map_suffix='png'), 'structure_map_suffix'),
])
def test_invalid_arguments_are_named(data_root, kwargs, argument):
    with pytest.raises(ValueError, match=f'^{argument}:'):
        build(data_root, **kwargs)


def test_npy_maps_load_like_the_pngs(own_root):
    png_dataset = build(own_root)
    for i in range(len(png_dataset)):
        png_path = png_dataset.get_data_info(i)['structure_map_path']
        depth_mm = cv2.imread(png_path, cv2.IMREAD_UNCHANGED)
        npy_path = png_path.replace('pseudo_depth', 'pseudo_depth_npy')
        os.makedirs(os.path.dirname(npy_path), exist_ok=True)
        np.save(npy_path.replace('.png', '.npy'), depth_mm / 1000.0)
    loading = [dict(type='LoadImageFromFile'), dict(type='LoadStructureMap')]
    png_dataset = build(own_root, pipeline=loading)
    npy_dataset = build(own_root, pipeline=loading,
                        structure_map_prefix='pseudo_depth_npy/train',
                        structure_map_suffix='.npy')
    for i in range(len(png_dataset)):
        png_map = png_dataset[i]['structure_map']
        assert png_map.dtype == np.float32
        assert png_map.shape == png_dataset[i]['img'].shape[:2]
        assert 0 < png_map.min() and png_map.max() < 65.536
        np.testing.assert_allclose(npy_dataset[i]['structure_map'], png_map,
                                   rtol=1e-6)


def check_packed(item):
    inputs, sample = item['inputs'], item['data_samples']
    assert inputs.shape == (3, SIZE, SIZE) and inputs.dtype == torch.uint8
    assert sample.structure_map.shape == (1, SIZE, SIZE)
    assert sample.structure_map.dtype == torch.float32
    side = SIZE // 4
    assert sample.mask.shape == sample.structure_mask.shape == (side, side)
    assert sample.mask.dtype == sample.structure_mask.dtype == torch.int64
    assert torch.equal(sample.mask + sample.structure_mask,
                       torch.ones(side, side, dtype=torch.int64))
    assert sample.mask.sum() == np.ceil(0.6 * (SIZE // 32)**2) * 8**2
    # standardised with the 10-90 % band of its own values
    values = sample.structure_map.flatten().sort().values.double()
    band = values[int(0.1 * values.numel()):int(0.9 * values.numel())]
    assert abs(band.mean()) < 1e-4 and abs(band.std(unbiased=False) - 1) < 1e-3


def test_sgmim_pipeline_on_pseudo_depth(data_root):
    dataset = build(data_root, pipeline=SGMIM_PIPELINE)
    for i in range(len(dataset)):
        item = dataset[i]
        check_packed(item)
        assert item['data_samples'].img_path == \
            dataset.get_data_info(i)['img_path']


def test_sgmim_pipeline_keeps_map_aligned_with_image(own_root):
    """Replace each map by a function of its image (mm = 1000 + 10·blue);
    after crop, flip and standardisation the map must still be an affine
    function of the packed image's blue channel."""
    dataset = build(own_root)
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        blue = cv2.imread(info['img_path'])[..., 0].astype(np.uint16)
        cv2.imwrite(info['structure_map_path'], 1000 + 10 * blue)
    dataset = build(own_root, pipeline=SGMIM_PIPELINE)
    flips = set()
    for _ in range(3):
        for i in range(len(dataset)):
            item = dataset[i]
            check_packed(item)
            flips.add(item['data_samples'].flip)
            blue = item['inputs'][0].double().flatten().numpy()
            structure = item['data_samples'].structure_map.double().flatten()
            assert np.corrcoef(blue, structure.numpy())[0, 1] > 0.995
    assert flips == {True, False}


@pytest.mark.parametrize('damage,error_type,reason', [
    ('corrupt', StructureMapError, 'cannot be decoded'),
    ('resized', StructureMapError, 'differs from the image size'),
    ('deleted after loading', FileNotFoundError, 'not found'),
])
def test_broken_map_names_image_and_map(own_root, damage, error_type,
                                        reason):
    dataset = build(own_root, pipeline=SGMIM_PIPELINE)
    info = dataset.get_data_info(3)
    map_path = info['structure_map_path']
    if damage == 'corrupt':
        with open(map_path, 'r+b') as f:
            f.truncate(100)
    elif damage == 'resized':
        depth = cv2.imread(map_path, cv2.IMREAD_UNCHANGED)
        cv2.imwrite(map_path, depth[:-1])
    else:
        os.remove(map_path)
    with pytest.raises(error_type, match=reason) as error:
        dataset[3]
    assert map_path in str(error.value)
    assert info['img_path'] in str(error.value)

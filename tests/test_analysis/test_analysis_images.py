"""Image sources and normalised batches of the analysis tools."""
import cv2
import numpy as np
import pytest
import torch
from analysis_helpers import NORM, write_config

from sgmim.analysis.images import (ImageInputError, Normalization,
                                   check_batch_size, dataset_images,
                                   folder_images, image_batches, image_files,
                                   input_size, normalization,
                                   resize_center_crop)
from sgmim.analysis.loading import load_model
from sgmim.utils.run_config import load_config


def _images(folder, count, shape=(40, 48), seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(exist_ok=True)
    arrays = []
    for i in range(count):
        image = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
        cv2.imwrite(str(folder / f'img_{i:02d}.png'), image)
        arrays.append(image)
    return arrays


def test_resize_center_crop_against_opencv():
    image = np.random.default_rng(0).integers(0, 256, (64, 128, 3),
                                              dtype=np.uint8)
    expected = cv2.resize(image, (64, 32), interpolation=cv2.INTER_CUBIC)
    np.testing.assert_array_equal(resize_center_crop(image, (32, 32)),
                                  expected[:, 16:48])
    assert resize_center_crop(image, (64, 128)) is not None
    np.testing.assert_array_equal(resize_center_crop(image, (64, 128)), image)
    np.testing.assert_array_equal(resize_center_crop(image, (64, 64)),
                                  image[:, 32:96])


def test_folder_images_sorted_and_capped(tmp_path):
    arrays = _images(tmp_path / 'imgs', 3, shape=(32, 32))
    (tmp_path / 'imgs' / 'notes.txt').write_text('not an image')
    assert [p.rsplit('/', 1)[1] for p in image_files(
        str(tmp_path / 'imgs'))] == ['img_00.png', 'img_01.png', 'img_02.png']
    got = list(folder_images(str(tmp_path / 'imgs'), (32, 32), 2))
    assert len(got) == 2  # evenly spaced: the first and the last
    np.testing.assert_array_equal(got[0], arrays[0])
    np.testing.assert_array_equal(got[1], arrays[2])
    assert len(list(folder_images(str(tmp_path / 'imgs'), (32, 32), 9))) == 3


def test_folder_images_walk_class_folders(tmp_path):
    (tmp_path / 'val').mkdir()
    _images(tmp_path / 'val' / 'b_class', 2, shape=(32, 32))
    _images(tmp_path / 'val' / 'a_class', 2, shape=(32, 32))
    files = image_files(str(tmp_path / 'val'))
    assert [p.split('/')[-2:] for p in files] == [
        ['a_class', 'img_00.png'], ['a_class', 'img_01.png'],
        ['b_class', 'img_00.png'], ['b_class', 'img_01.png']]


def test_bad_folders_and_files_are_named(tmp_path):
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ImageInputError, match='empty holds no image'):
        list(folder_images(str(tmp_path / 'empty'), (32, 32), 4))
    with pytest.raises(ImageInputError, match='image folder not found'):
        image_files(str(tmp_path / 'missing'))
    _images(tmp_path / 'bad', 2)
    (tmp_path / 'bad' / 'img_01.png').write_bytes(b'not a png at all')
    with pytest.raises(ImageInputError,
                       match='corrupt or unsupported image file: .*img_01'):
        list(folder_images(str(tmp_path / 'bad'), (32, 32), 4))
    (tmp_path / 'bad' / 'img_01.png').write_bytes(b'')
    with pytest.raises(ImageInputError, match='cannot read image .*img_01'):
        list(folder_images(str(tmp_path / 'bad'), (32, 32), 4))


def test_batches_normalise_like_the_preprocessor():
    rng = np.random.default_rng(1)
    images = [rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
              for _ in range(5)]
    mean = np.array([10., 20., 30.])
    std = np.array([2., 4., 8.])
    norm = Normalization(torch.tensor(mean).float().view(3, 1, 1),
                         torch.tensor(std).float().view(3, 1, 1), True)
    batches = list(image_batches(images, norm, 2))
    assert [b.shape[0] for b in batches] == [2, 2, 1]
    expected = (images[4][..., ::-1] - mean) / std  # BGR -> RGB
    np.testing.assert_allclose(batches[2][0].permute(1, 2, 0).numpy(),
                               expected, rtol=1e-6)
    assert len(list(image_batches(images, norm, 2, drop_last=True))) == 2


def test_normalization_of_the_tiny_models(tiny_configs, tiny_checkpoints):
    vit = load_model(tiny_configs['vit'], tiny_checkpoints['vit'])
    norm = normalization(vit)
    assert norm.bgr_to_rgb
    torch.testing.assert_close(norm.mean.flatten(),
                               torch.tensor([123.675, 116.28, 103.53]))
    # mmpretrain's own preprocessor gives the same input
    image = np.random.default_rng(2).integers(0, 256, (32, 32, 3),
                                              dtype=np.uint8)
    tensor = torch.from_numpy(image).permute(2, 0, 1)
    reference = vit.data_preprocessor(
        dict(inputs=tensor[None], data_samples=None), False)['inputs']
    torch.testing.assert_close(next(image_batches([image], norm, 1)),
                               reference)
    seg = load_model(tiny_configs['seg'], tiny_checkpoints['seg'])
    assert normalization(seg).bgr_to_rgb
    assert input_size(vit, vit.cfg) == (32, 32)
    with pytest.raises(ValueError, match='no mean/std'):
        normalization(torch.nn.Linear(1, 1))


DATASET = """
_base_ = './vit.py'
test_dataloader = dict(dataset=dict(
    type='CustomDataset', data_root='{root}', with_label=False,
    pipeline=[dict(type='LoadImageFromFile'),
              dict(type='PackInputs')]))
"""


def test_dataset_images_through_the_pipeline(tmp_path, tiny_configs):
    arrays = _images(tmp_path / 'imgs', 3, shape=(32, 32))
    (tmp_path / 'vit.py').write_text(open(tiny_configs['vit']).read())
    config = write_config(tmp_path, 'data.py',
                          DATASET.format(root=tmp_path / 'imgs'))
    got = list(dataset_images(load_config(config), (32, 32), 5))
    assert len(got) == 3
    for image, array in zip(got, arrays):
        np.testing.assert_array_equal(image, array)
    no_data = write_config(tmp_path, 'nodata.py',
                           "default_scope = 'mmpretrain'\n" + NORM)
    with pytest.raises(ValueError, match='no test, val or train dataset'):
        list(dataset_images(load_config(no_data), (32, 32), 5))


def test_check_batch_size():
    check_batch_size(4, 8, 4)
    with pytest.raises(ValueError, match=r'>= 4 \(unbiased HSIC'):
        check_batch_size(3, 8, 4, 'unbiased HSIC needs n >= 4')
    with pytest.raises(ValueError, match='--num-images .2. must be >= '):
        check_batch_size(4, 2)

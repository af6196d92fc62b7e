"""SynthScenes' ``texture_space`` option: patterns on the surfaces or fixed
to the image, checked against the pinhole formula written out here."""
import glob
import json
import math
import os

import cv2
import numpy as np
import pytest

from sgmim.datasets import synthscenes
from sgmim.datasets.synthscenes import GenerateOptions, generate
from sgmim.datasets.synthscenes.render import (SCREEN_TEXTURE_DISTANCE,
                                               texture_coordinates)
from sgmim.datasets.synthscenes.textures import Material, albedo

CHECKER = Material('checker', (0.9, 0.8, 0.1), (0.1, 0.2, 0.7), scale=0.25)


def wall_view(distance, texture_space, width=48, height=36):
    """The view straight at a checker wall ``distance`` m away that fills
    the image, lit by ambient light only (so rgb = albedo)."""
    room = synthscenes.Room(width=40.0, depth=2 * distance, height=40.0,
                            wall=CHECKER)
    light = synthscenes.Light((0.0, 39.0, 0.0), intensity=0.0, ambient=1.0)
    camera = synthscenes.Camera.from_fov(width, height, math.radians(60),
                                         (0.0, 20.0, 0.0))
    view = synthscenes.render_view(synthscenes.Scene(room, light=light),
                                   camera, texture_space)
    return camera, view


def pinhole_plane_coordinates(camera, distance):
    """Per pixel, the (x, y) of its ray at z = ``distance``, by a loop."""
    f_x, f_y = camera.K[0, 0], camera.K[1, 1]
    c_x, c_y = camera.K[0, 2], camera.K[1, 2]
    coords = [(distance * (u - c_x) / f_x, distance * (v - c_y) / f_y)
              for v in range(camera.height) for u in range(camera.width)]
    return np.array(coords)


def albedo_image(camera, uv):
    rgb = albedo(CHECKER, uv).reshape(camera.height, camera.width, 3)
    return np.round(rgb * 255.0).astype(np.uint8)


def test_screen_coordinates_are_the_plane_at_the_screen_distance():
    camera = synthscenes.Camera.from_fov(7, 5, math.radians(70),
                                         (0.0, 1.0, 0.0), yaw=0.4, pitch=0.1)
    surface_uv = np.random.default_rng(0).normal(size=(35, 2))
    assert texture_coordinates(camera, surface_uv, 'surface') is surface_uv
    np.testing.assert_allclose(
        texture_coordinates(camera, surface_uv, 'screen'),
        pinhole_plane_coordinates(camera, SCREEN_TEXTURE_DISTANCE))


def test_screen_texture_does_not_change_with_depth():
    near_camera, near = wall_view(1.5, 'screen')
    _, far = wall_view(4.5, 'screen')
    np.testing.assert_array_equal(near['rgb'], far['rgb'])
    np.testing.assert_array_equal(
        near['rgb'], albedo_image(near_camera, pinhole_plane_coordinates(
            near_camera, SCREEN_TEXTURE_DISTANCE)))
    # the geometry is rendered as before
    np.testing.assert_allclose(near['depth'], 1.5, atol=1e-5)
    np.testing.assert_allclose(far['depth'], 4.5, atol=1e-5)


def test_surface_texture_shrinks_with_depth():
    # The wall z = d seen from x = 0 shows the pattern at (x, y) of the
    # plane, up to the sign and origin of the wall's own (u, v): compare the
    # checker period in pixels, f s / d, with the rendered one.
    periods = {}
    for distance in (1.5, 4.5):
        camera, view = wall_view(distance, 'surface')
        row = view['rgb'][camera.height // 2, :, 0].astype(int)
        edges = np.flatnonzero(np.diff(row) != 0)
        periods[distance] = np.diff(edges).mean()
        expected = camera.K[0, 0] * CHECKER.scale / distance
        assert periods[distance] == pytest.approx(expected, rel=0.1)
    assert periods[1.5] == pytest.approx(3 * periods[4.5], rel=0.1)


def test_unknown_texture_space_is_named():
    with pytest.raises(ValueError, match="texture_space: unknown texture "
                       "space 'world'"):
        GenerateOptions(texture_space='world')
    camera, _ = wall_view(2.0, 'screen', 4, 3)
    with pytest.raises(ValueError, match="texture_space: .*'world'"):
        texture_coordinates(camera, np.zeros((12, 2)), 'world')


def read(path):
    return cv2.imread(path, cv2.IMREAD_UNCHANGED)


def test_screen_set_has_the_same_depth_and_other_images(tmp_path):
    options = dict(subsets='imagenet,nyu', num_pretrain=2,
                   num_pretrain_val=1, num_train=2, num_val=1,
                   show_progress=False)
    surface = generate(tmp_path / 'surface', seed=1, **options)
    screen = generate(tmp_path / 'screen', seed=1, texture_space='screen',
                      **options)
    # a default manifest is as before the option existed
    assert 'texture_space' not in surface['options']
    assert screen['options']['texture_space'] == 'screen'
    depth = sorted(glob.glob(str(tmp_path / 'surface' / 'imagenet' / '*depth'
                                 / '*' / '*' / '*.png')))
    images = sorted(glob.glob(str(tmp_path / 'surface' / 'nyu' / 'images' /
                                  '*' / '*.jpg')))
    assert len(depth) == 6 and len(images) == 3
    for path in depth:
        np.testing.assert_array_equal(
            read(path), read(path.replace('surface', 'screen', 1)))
    for path in images:
        assert np.abs(read(path).astype(int) - read(
            path.replace('surface', 'screen', 1))).mean() > 1.0
    # the manifest re-renders its views
    manifest = json.loads(
        (tmp_path / 'screen' / 'synthscenes.json').read_text())
    _, view = synthscenes.render_dataset_view(manifest, 'nyu', 'train', 0)
    written = sorted(glob.glob(str(tmp_path / 'screen' / 'nyu' / 'images' /
                                   'train' / '*.jpg')))[0]
    rgb = cv2.cvtColor(read(written), cv2.COLOR_BGR2RGB)
    assert np.abs(rgb.astype(int) - view['rgb']).mean() < 3.0  # JPEG


def test_cli_takes_the_texture_space(tmp_path, capsys):
    from sgmim.datasets.synthscenes.__main__ import main
    assert main(['--out', str(tmp_path), '--subsets', 'nyu', '--num-train',
                 '1', '--num-val', '1', '--texture-space', 'screen',
                 '--quiet']) == 0
    manifest = json.loads((tmp_path / 'synthscenes.json').read_text())
    assert manifest['options']['texture_space'] == 'screen'
    with pytest.raises(SystemExit):
        main(['--out', str(tmp_path / 'x'), '--texture-space', 'world'])
    assert "invalid choice: 'world'" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / 'x')

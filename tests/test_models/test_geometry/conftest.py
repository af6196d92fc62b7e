"""A tiny SynthScenes trajectory read back from its SC-Depth layout."""
import os
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

#: Frames of the generated trajectory.
NUM_FRAMES = 3


def _read_scene(root):
    """``cam.txt`` (3×3 K), ``poses.txt`` (camera-to-world 3×4 rows),
    ``depth/%07d.png`` (uint16 mm) and the ``%07d.jpg`` frames."""
    K = np.loadtxt(os.path.join(root, 'cam.txt'))
    poses = np.loadtxt(os.path.join(root, 'poses.txt')).reshape(-1, 3, 4)
    poses = np.concatenate(
        [poses, np.tile([[[0., 0., 0., 1.]]], (len(poses), 1, 1))], axis=1)
    depths, jpegs = [], []
    for i in range(len(poses)):
        depth = cv2.imread(os.path.join(root, 'depth', f'{i:07d}.png'),
                           cv2.IMREAD_UNCHANGED)
        depths.append(depth.astype(np.float64) / 1000.0)
        bgr = cv2.imread(os.path.join(root, f'{i:07d}.jpg'))
        jpegs.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) / 255.0)
    return K, poses, depths, jpegs


@pytest.fixture(scope='module')
def trajectory(tmp_path_factory):
    """One generated scene: ``K``, camera-to-world ``poses`` (N, 4, 4),
    metric ``depths`` from the PNGs, ``jpegs`` (the written frames) and
    ``rgbs`` (the same frames re-rendered, without JPEG loss), as float64
    arrays in [0, 1]."""
    from sgmim.datasets.synthscenes import generate, render_dataset_view
    out = tmp_path_factory.mktemp('synth_trajectory')
    manifest = generate(out, seed=0, subsets=('trajectories', ),
                        num_trajectories=1, num_val_trajectories=0,
                        trajectory_length=NUM_FRAMES, show_progress=False)
    K, poses, depths, jpegs = _read_scene(
        os.path.join(out, 'trajectories', 'training', 'scene_0000'))
    rgbs = [render_dataset_view(manifest, 'trajectories', 'training',
                                i)[1]['rgb'] / 255.0
            for i in range(NUM_FRAMES)]
    return SimpleNamespace(K=K, poses=poses, depths=depths, jpegs=jpegs,
                           rgbs=rgbs)

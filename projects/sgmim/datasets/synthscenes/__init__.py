"""SynthScenes: procedural indoor scenes ray-cast by a pinhole camera and
written in the on-disk layouts of ImageNet, ADE20K, COCO, NYUv2, KITTI,
SC-Depth and (optional subset) iBims-1, so unmodified dataset configs run on
them by changing ``data_root``.

Only numpy, OpenCV, pycocotools, tqdm, the standard library and (for the
iBims-1 ``.mat`` files) scipy are used.
"""
from .classes import (ADE_CLASSES, COCO_CATEGORIES, OBJECT_ADE_NAME,
                      OBJECT_COCO_NAME, ade_label, coco_category_id)
from .depthmaps import (lidar_mask, pseudo_depth, to_kitti_uint16,
                        to_uint16_mm)
from .generate import (DEFAULT_SIZES, DEFAULT_SUBSETS, MANIFEST_NAME,
                       OPTIONAL_SUBSETS, SUBSETS, VERSION, GenerateOptions,
                       generate, render_dataset_view)
from .ibims_layout import ibims_annotations, to_ibims_uint16
from .polygons import mask_to_polygons
from .render import render_view
from .sampling import (STYLE_NAMES, STYLES, Trajectory, sample_camera,
                       sample_scene, sample_trajectory)
from .scene import (Box, Camera, Cylinder, Light, Room, Scene, Sphere,
                    camera_rotation, intrinsics_from_fov)
from .textures import Material

__all__ = [
    'ADE_CLASSES', 'COCO_CATEGORIES', 'OBJECT_ADE_NAME', 'OBJECT_COCO_NAME',
    'ade_label', 'coco_category_id', 'lidar_mask', 'pseudo_depth',
    'to_kitti_uint16', 'to_uint16_mm', 'DEFAULT_SIZES', 'MANIFEST_NAME',
    'SUBSETS', 'DEFAULT_SUBSETS', 'OPTIONAL_SUBSETS', 'VERSION',
    'GenerateOptions', 'generate', 'ibims_annotations', 'to_ibims_uint16',
    'render_dataset_view', 'mask_to_polygons',
    'render_view', 'STYLE_NAMES', 'STYLES', 'Trajectory', 'sample_camera',
    'sample_scene', 'sample_trajectory', 'Box', 'Camera', 'Cylinder', 'Light',
    'Room', 'Scene', 'Sphere', 'camera_rotation', 'intrinsics_from_fov',
    'Material'
]

"""Label tables shared by every layout.

Semantic labels follow the public datasets so that unmodified configs work:

* ADE20K annotation values are ``index + 1`` into mmseg's 150-class list
  (0 means "other" and is ignored through ``reduce_zero_label``).
* COCO categories are the official 80 detection categories with their
  official, non-contiguous ids; stuff (room surfaces) is never annotated.
"""

#: ADE20K annotation values (150-class index + 1) of the classes rendered.
ADE_CLASSES = {
    'wall': 1,
    'floor': 4,
    'ceiling': 6,
    'cabinet': 11,
    'box': 42,
    'ball': 120,
    'vase': 136,
}

#: Object kinds (one per primitive family) and their ADE20K class name.
OBJECT_ADE_NAME = {
    'cabinet': 'cabinet',  # large yaw-rotated box
    'box': 'box',  # small yaw-rotated box
    'ball': 'ball',  # sphere
    'vase': 'vase',  # vertical cylinder
}

#: Object kinds and the COCO category name they are annotated as.
OBJECT_COCO_NAME = {
    'cabinet': 'refrigerator',
    'box': 'suitcase',
    'ball': 'sports ball',
    'vase': 'vase',
}

#: Room surfaces and their ADE20K class name (stuff, no COCO annotation).
SURFACE_ADE_NAME = {'wall': 'wall', 'floor': 'floor', 'ceiling': 'ceiling'}

#: The 80 official COCO 2017 detection categories: (id, name, supercategory).
COCO_CATEGORIES = (
    (1, 'person', 'person'), (2, 'bicycle', 'vehicle'),
    (3, 'car', 'vehicle'), (4, 'motorcycle', 'vehicle'),
    (5, 'airplane', 'vehicle'), (6, 'bus', 'vehicle'),
    (7, 'train', 'vehicle'), (8, 'truck', 'vehicle'),
    (9, 'boat', 'vehicle'), (10, 'traffic light', 'outdoor'),
    (11, 'fire hydrant', 'outdoor'), (13, 'stop sign', 'outdoor'),
    (14, 'parking meter', 'outdoor'), (15, 'bench', 'outdoor'),
    (16, 'bird', 'animal'), (17, 'cat', 'animal'), (18, 'dog', 'animal'),
    (19, 'horse', 'animal'), (20, 'sheep', 'animal'), (21, 'cow', 'animal'),
    (22, 'elephant', 'animal'), (23, 'bear', 'animal'),
    (24, 'zebra', 'animal'), (25, 'giraffe', 'animal'),
    (27, 'backpack', 'accessory'), (28, 'umbrella', 'accessory'),
    (31, 'handbag', 'accessory'), (32, 'tie', 'accessory'),
    (33, 'suitcase', 'accessory'), (34, 'frisbee', 'sports'),
    (35, 'skis', 'sports'), (36, 'snowboard', 'sports'),
    (37, 'sports ball', 'sports'), (38, 'kite', 'sports'),
    (39, 'baseball bat', 'sports'), (40, 'baseball glove', 'sports'),
    (41, 'skateboard', 'sports'), (42, 'surfboard', 'sports'),
    (43, 'tennis racket', 'sports'), (44, 'bottle', 'kitchen'),
    (46, 'wine glass', 'kitchen'), (47, 'cup', 'kitchen'),
    (48, 'fork', 'kitchen'), (49, 'knife', 'kitchen'),
    (50, 'spoon', 'kitchen'), (51, 'bowl', 'kitchen'),
    (52, 'banana', 'food'), (53, 'apple', 'food'),
    (54, 'sandwich', 'food'), (55, 'orange', 'food'),
    (56, 'broccoli', 'food'), (57, 'carrot', 'food'),
    (58, 'hot dog', 'food'), (59, 'pizza', 'food'), (60, 'donut', 'food'),
    (61, 'cake', 'food'), (62, 'chair', 'furniture'),
    (63, 'couch', 'furniture'), (64, 'potted plant', 'furniture'),
    (65, 'bed', 'furniture'), (67, 'dining table', 'furniture'),
    (70, 'toilet', 'furniture'), (72, 'tv', 'electronic'),
    (73, 'laptop', 'electronic'), (74, 'mouse', 'electronic'),
    (75, 'remote', 'electronic'), (76, 'keyboard', 'electronic'),
    (77, 'cell phone', 'electronic'), (78, 'microwave', 'appliance'),
    (79, 'oven', 'appliance'), (80, 'toaster', 'appliance'),
    (81, 'sink', 'appliance'), (82, 'refrigerator', 'appliance'),
    (84, 'book', 'indoor'), (85, 'clock', 'indoor'), (86, 'vase', 'indoor'),
    (87, 'scissors', 'indoor'), (88, 'teddy bear', 'indoor'),
    (89, 'hair drier', 'indoor'), (90, 'toothbrush', 'indoor'),
)

COCO_NAME_TO_ID = {name: cid for cid, name, _ in COCO_CATEGORIES}


def ade_label(kind):
    """ADE20K annotation value of an object kind or a room surface."""
    name = OBJECT_ADE_NAME.get(kind) or SURFACE_ADE_NAME[kind]
    return ADE_CLASSES[name]


def coco_category_id(kind):
    """Official COCO category id an object kind is annotated as."""
    return COCO_NAME_TO_ID[OBJECT_COCO_NAME[kind]]


def coco_categories_json():
    """The ``categories`` list of a COCO instances file (all 80 entries)."""
    return [{'id': cid, 'name': name, 'supercategory': sup}
            for cid, name, sup in COCO_CATEGORIES]

"""Tiny model configs shared by tests, derived from the libraries' own bases."""
import os.path as osp

import mmdet
from mmengine.config import Config, ConfigDict


def tiny_mask_rcnn(backbone, neck, ch=16, bbox_head=None, mask_head=None,
                   num_classes=2, score_thr=0.05):
    """mmdet's ``mask-rcnn_r50_fpn`` model with ``backbone``/``neck`` swapped
    in, every head narrowed to ``ch`` channels and anchors sized for 64 px
    images (``bbox_head`` / ``mask_head``: keys merged into those heads)."""
    base = Config.fromfile(osp.join(
        osp.dirname(mmdet.__file__), '.mim', 'configs', '_base_', 'models',
        'mask-rcnn_r50_fpn.py')).model
    base.backbone = ConfigDict(backbone)
    base.neck = ConfigDict(neck)
    base.rpn_head.update(in_channels=ch, feat_channels=ch)
    base.rpn_head.anchor_generator.scales = [2]
    base.data_preprocessor.pad_mask = True
    roi = base.roi_head
    roi.bbox_roi_extractor.out_channels = ch
    roi.mask_roi_extractor.out_channels = ch
    roi.bbox_head.update(in_channels=ch, fc_out_channels=32,
                         num_classes=num_classes, **(bbox_head or {}))
    roi.mask_head.update(in_channels=ch, conv_out_channels=ch, num_convs=1,
                         num_classes=num_classes, **(mask_head or {}))
    base.train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=100)
    base.test_cfg.rpn.update(nms_pre=200, max_per_img=100)
    base.test_cfg.rcnn.update(max_per_img=10, score_thr=score_thr)
    return base.to_dict()

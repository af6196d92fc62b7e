# iBims-1 (Koch et al.): the out-of-distribution depth test set, 100 indoor
# images of 640x480 with laser depth, depth edges and plane annotations; no
# training split. The official downloads (ibims1_core_mat.zip,
# ibims1_core_raw.zip, imagelist.txt) unpacked in data/ibims1:
#   data/ibims1/{imagelist.txt, ibims1_core_mat/, ibims1_core_raw/}
# Names carry an `ibims_` prefix so that a depth model config and this file
# can be two _base_ entries; a test config then sets
#   test_dataloader = dict(_delete_=True, **_base_.ibims_test_dataloader)
#   test_evaluator = dict(_delete_=True, **_base_.ibims_test_evaluator)
# Evaluation (IBimsMetric): the official script v0.9, no scaling of the
# prediction -- standard errors, DDE at 3 m, DBE (Canny sigma sqrt(2),
# thresholds 0.15/0.3, theta 10 px), PE on planes >= 5 % of the image, and
# the errors in 1 m distance bins to 20 m.
ibims_data_root = 'data/ibims1'
# 'mat' reads ibims1_core_mat (every annotation); 'png' ibims1_core_raw.
ibims_data_format = 'mat'
ibims_meta_keys = ('img_path', 'depth_map_path', 'ori_shape', 'img_shape',
                   'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                   'ibims_name', 'ibims_gt')
ibims_test_pipeline = [
    # image, depth (metres) and the evaluation annotations (`ibims_gt`)
    dict(type='LoadIBimsSample'),
    dict(type='PackSegInputs', meta_keys=ibims_meta_keys)
]
ibims_test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='IBimsDataset',
        data_root=ibims_data_root,
        ann_file='imagelist.txt',
        data_format=ibims_data_format,
        pipeline=ibims_test_pipeline))
ibims_test_evaluator = dict(type='IBimsMetric')

# SG-MIM with a SwinV2-B encoder (windows 12/12/12/6) for 192 px inputs.
_base_ = 'sgmim_swin-base-w6.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='SimMIMSwinTransformerV2',
        arch='base',
        img_size=192,
        window_size=[12, 12, 12, 6]))

# SimMIM / SG-MIM 800-epoch schedule (authors' recipe): AdamW, base lr 1e-4
# scaled by total batch / 512, 10 warm-up epochs, lr x0.1 at epoch 700.
# mmengine counts a scheduler's milestones from its `begin`: the step is
# written as `step_epoch - warmup_epochs` so that it lands at epoch 700
# (mmpretrain 1.2.0's own SimMIM 800e configs write milestones=[700] with
# begin=10 and drop at epoch 710).
# Optimizer wrapper, parameter-wise settings and batch size of the 100-epoch
# schedule; only the learning rate and its schedule differ.
_base_ = './simmim_adamw-coslr-100e.py'
total_batch_size = 8 * 128
warmup_epochs = 10
step_epoch = 700
optim_wrapper = dict(optimizer=dict(lr=1e-4 * total_batch_size / 512))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=5e-7 / 1e-4,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='MultiStepLR',
        milestones=[step_epoch - warmup_epochs],
        gamma=0.1,
        by_epoch=True,
        begin=warmup_epochs,
        end=800,
        convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=800)
auto_scale_lr = dict(base_batch_size=total_batch_size)

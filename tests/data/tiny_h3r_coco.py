# A tiny top-down model (ResNet-18, 128x96 input, 32x24 randomized-rounding heatmaps) for
# smoke tests on ../shared/data/mmpose_samples/coco. Tests set data_root with --cfg-options.
_base_ = ['mmpose::_base_/default_runtime.py']
custom_imports = dict(imports=['h3r_mmpose'], allow_failed_imports=False)

codec = dict(
    type='RandomizedRoundingHeatmap',
    input_size=(96, 128),
    heatmap_size=(24, 32),
    target_type='stochastic',
)
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
    ),
    backbone=dict(type='ResNet', depth=18),
    head=dict(
        type='H3RHead',
        in_channels=512,
        out_channels=17,
        deconv_out_channels=(32, 32, 32),
        deconv_kernel_sizes=(4, 4, 4),
        decoder=codec,
    ),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=False),
)

train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=2)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
    logger=dict(type='LoggerHook', interval=1),
)
log_processor = dict(by_epoch=False)

data_root = 'data/coco/'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]
dataset = dict(
    type='CocoDataset',
    data_root=data_root,
    data_mode='topdown',
    ann_file='test_coco.json',
    data_prefix=dict(img=''),
)
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(**dataset, pipeline=train_pipeline),
)
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**dataset, test_mode=True, pipeline=val_pipeline),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', ann_file=data_root + 'test_coco.json')
test_evaluator = val_evaluator
randomness = dict(seed=0)

# The shipped ResNet COCO config, shrunk for smoke tests on ../shared/data/mmpose_samples/coco:
# ResNet-18 without pretrained weights, 128x96 input, 32x24 randomized-rounding heatmaps, two
# iterations, the plain COCO metric and no schedule. Tests set data_root with --cfg-options.
_base_ = ['../../configs/body_2d_keypoint/coco/td-hm-h3r_res50_8xb64-210e_coco-256x192.py']

codec = dict(_base_.codec, input_size=(96, 128), heatmap_size=(24, 32), target_type='stochastic')
model = dict(
    backbone=dict(depth=18, init_cfg=None),
    head=dict(in_channels=512, deconv_out_channels=(32, 32, 32), decoder=codec),
)

train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2, val_interval=2)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = None
default_hooks = dict(
    # Every two iterations, without the shipped save_best.
    checkpoint=dict(_delete_=True, type='CheckpointHook', interval=2, by_epoch=False),
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
    _delete_=True,
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(**dataset, pipeline=train_pipeline),
)
val_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=0,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**dataset, test_mode=True, pipeline=val_pipeline),
)
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='CocoMetric', ann_file=data_root + 'test_coco.json')
test_evaluator = val_evaluator
randomness = dict(seed=0)

# The training benchmark's HRNet row, H3R (ours) at heatmap stride 4, on the synthetic landmarks
# (5 marks on 128x128 images, the box is the whole image), on a short schedule: 400 iterations
# of batch 16. It makes the README's deploy picture (tools/deploy/make_demo_example.py, which
# writes the data to data_root first); it is not a model to report. The model, codec, pipeline
# and annealing equal h3r_mmpose.benchmarks.training_benchmark's (tested).
custom_imports = dict(imports=['h3r_mmpose.benchmarks'], allow_failed_imports=False)
default_scope = 'mmpose'

data_root = 'outputs/deploy_example/data/'
input_size = (128, 128)
codec = dict(
    type='RandomizedRoundingHeatmap',
    target_type='expected',
    input_size=input_size,
    heatmap_size=(32, 32),
    decoder='mean_shift',
    radius=2.0,
)


model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
    ),
    backbone=dict(
        type='HRNet',
        in_channels=3,
        extra=dict(
            stage1=dict(
                num_modules=1,
                num_branches=1,
                block='BOTTLENECK',
                num_blocks=(1,),
                num_channels=(32,),
            ),
            stage2=dict(
                num_modules=1,
                num_branches=2,
                block='BASIC',
                num_blocks=(1, 1),
                num_channels=(16, 32),
            ),
            stage3=dict(
                num_modules=1,
                num_branches=3,
                block='BASIC',
                num_blocks=(1, 1, 1),
                num_channels=(16, 32, 64),
            ),
            stage4=dict(
                num_modules=1,
                num_branches=4,
                block='BASIC',
                num_blocks=(1, 1, 1, 1),
                num_channels=(16, 32, 64, 128),
            ),
        ),
    ),
    head=dict(
        type='H3RHead',
        in_channels=16,
        out_channels=5,
        deconv_out_channels=None,
        loss=dict(type='HeatmapCrossEntropyLoss'),
        decoder=codec,
    ),
    test_cfg=dict(flip_test=False),
)

# The box is the whole image (padding 1.0): crop pixels are image pixels.
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='PackPoseInputs'),
]
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=input_size),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='SyntheticLandmarkDataset',
        data_root=data_root,
        data_mode='topdown',
        ann_file='annotations/train.json',
        data_prefix=dict(img='images/'),
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='SyntheticLandmarkDataset',
        data_root=data_root,
        data_mode='topdown',
        ann_file='annotations/test.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = [dict(type='EPE')]
test_evaluator = val_evaluator

max_iters = 400
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, begin=0, end=20, by_epoch=False),
    dict(
        type='CosineAnnealingLR',
        T_max=max_iters - 20,
        begin=20,
        end=max_iters,
        eta_min=1e-5,
        by_epoch=False,
    ),
]
# The loss smooths the target by a Gaussian of sigma cells, from 2 down to 0 at the end.
custom_hooks = [dict(type='TargetSigmaAnnealingHook', start_sigma=2.0)]

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork'),
    dist_cfg=dict(backend='gloo'),
)
log_level = 'INFO'
load_from = None
resume = False
visualizer = dict(type='PoseLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')])

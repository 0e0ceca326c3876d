# HRNet-W48 on COCO 256x192 with randomized-rounding heatmaps at 1/4 of the input (48x64).
# Everything else is the stock MMPose config; see the HRNet-W32 config for the choices.
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_hrnet-w48_8xb32-210e_coco-256x192.py'
]
custom_imports = dict(imports=['h3r_mmpose'], allow_failed_imports=False)

# target_type='stochastic' is the paper's one-hot draw; 'expected' is its label-noise-free
# mean, which trained better in short schedules.
codec = dict(
    type='RandomizedRoundingHeatmap',
    input_size=(192, 256),
    heatmap_size=(48, 64),
    target_type='expected',
)

model = dict(
    head=dict(
        _delete_=True,
        type='H3RHead',
        in_channels=48,
        out_channels=17,
        deconv_out_channels=None,
        loss=dict(type='HeatmapCrossEntropyLoss'),
        decoder=codec,
    ),
    # The codec's corner-to-corner grid is mirror-symmetric: no one-pixel shift.
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=False),
)

# The stock pipeline captured the old codec when it was read: swap its GenerateTarget.
train_pipeline = [
    dict(type='GenerateTarget', encoder=codec) if step['type'] == 'GenerateTarget' else step
    for step in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# CocoMetric (save_best='coco/AP') plus the codec's floor ('floor/coco/AP', ...), which is only
# measured on ground-truth boxes (bbox_file=None): it skips detected boxes, which carry no
# ground truth.
val_evaluator = [
    _base_.val_evaluator,
    dict(type='QuantizationFloorMetric', codec=codec, metric=_base_.val_evaluator),
]
test_evaluator = val_evaluator

# A plain `codec = dict(...)` would merge into the stock MSRA codec and keep its `sigma`.
# Replace it here, last, so the uses above hold the dict without the `_delete_` flag.
codec = dict(_delete_=True, **codec)

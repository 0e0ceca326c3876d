# SimpleBaseline ResNet-50 on MPII 256x256 with randomized-rounding heatmaps at 1/4 of the
# input (64x64): three stride-2 deconvolutions from the 1/32 features, as in the stock head.
# Everything else (backbone, schedule, data, MpiiPCKAccuracy) is the stock MMPose config.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/mpii/td-hm_res50_8xb64-210e_mpii-256x256.py']
custom_imports = dict(imports=['h3r_mmpose'], allow_failed_imports=False)

# 'expected' spreads each keypoint bilinearly over its 2x2 cells; 'stochastic' (the paper's
# target) puts it on one of them, drawn anew at every encode. The expectation carries no
# label noise and trained better in short schedules; the network fits it under either.
codec = dict(
    type='RandomizedRoundingHeatmap',
    input_size=(256, 256),
    heatmap_size=(64, 64),
    target_type='expected',
)

model = dict(
    head=dict(
        _delete_=True,
        type='H3RHead',
        in_channels=2048,
        out_channels=16,
        deconv_out_channels=(256, 256, 256),
        deconv_kernel_sizes=(4, 4, 4),
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

# MpiiPCKAccuracy as in the stock config (save_best='PCK' reads it), plus the codec's
# quantization floor in the same units ('floor/PCK', ...).
val_evaluator = [
    _base_.val_evaluator,
    dict(type='QuantizationFloorMetric', codec=codec, metric=_base_.val_evaluator),
]
test_evaluator = val_evaluator

# A plain `codec = dict(...)` would merge into the stock MSRA codec and keep its `sigma`.
# Replace it here, last, so the uses above hold the dict without the `_delete_` flag.
codec = dict(_delete_=True, **codec)

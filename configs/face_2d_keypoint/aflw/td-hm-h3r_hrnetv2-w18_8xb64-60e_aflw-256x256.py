# HRNetV2-W18 on AFLW 256x256 with randomized-rounding heatmaps at 1/4 of the input (64x64).
# Everything else (backbone, concat neck, schedule, data, NME) is the stock MMPose config.
_base_ = [
    'mmpose::face_2d_keypoint/topdown_heatmap/aflw/td-hm_hrnetv2-w18_8xb64-60e_aflw-256x256.py'
]
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

# The stock face head on the 270 channels of the concatenated HRNetV2 branches.
model = dict(
    head=dict(
        _delete_=True,
        type='H3RHead',
        in_channels=270,
        out_channels=19,
        deconv_out_channels=None,
        conv_out_channels=(270,),
        conv_kernel_sizes=(1,),
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

# Three readings of one prediction, all normalised by the box size as the stock NME is:
# - MMPose's NME, a fraction pooling the errors of all keypoints ('NME', read by
#   save_best='NME');
# - the per-image NME and failure rate in percent and the CED AUC as a fraction, as face
#   leaderboards report them ('face/NME_percent', 'face/FR@10_percent', 'face/AUC@10');
# - the codec's quantization floor, scored by that same face metric
#   ('floor/face/NME_percent', ...).
val_evaluator = [
    _base_.val_evaluator,
    dict(
        type='FaceAlignmentMetric', norm_mode='use_norm_item', norm_item='bbox_size', prefix='face'
    ),
]
val_evaluator += [dict(type='QuantizationFloorMetric', codec=codec, metric=val_evaluator[1])]
test_evaluator = val_evaluator

# A plain `codec = dict(...)` would merge into the stock MSRA codec and keep its `sigma`.
# Replace it here, last, so the uses above hold the dict without the `_delete_` flag.
codec = dict(_delete_=True, **codec)

# td-hm_hrnet-w32_8xb64-210e_mpii-256x256 with randomized-rounding heatmaps at 1/4 of the input
# (64x64). Everything else (HRNet, MpiiDataset, schedule, augmentation, stock metric) is the stock
# config.
# Written by:
#   python tools/convert_config.py mmpose::body_2d_keypoint/topdown_heatmap/mpii/td-hm_hrnet-w32_8xb64-210e_mpii-256x256.py --out configs/body_2d_keypoint/mpii/td-hm-h3r_hrnet-w32_8xb64-210e_mpii-256x256.py
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/mpii/td-hm_hrnet-w32_8xb64-210e_mpii-256x256.py',
]
custom_imports = dict(imports=['h3r_mmpose'], allow_failed_imports=False)

# Only the sizes and the options given to the converter are set, so the codec defaults apply to the
# rest: target_type ('expected', the bilinear 2x2 distribution, or 'stochastic', the paper's one-hot
# draws), the decoder and its arguments.
codec = dict(
    type='RandomizedRoundingHeatmap',
    input_size=(256, 256),
    heatmap_size=(64, 64),
)

# The stock HeatmapHead layers in H3RHead: logits for the grid cross-entropy and the decoder. The
# codec's corner-to-corner grid is mirror-symmetric: no one-pixel flip shift.
model = dict(
    head=dict(
        _delete_=True,
        type='H3RHead',
        in_channels=32,
        out_channels=16,
        deconv_out_channels=None,
        loss=dict(type='HeatmapCrossEntropyLoss'),
        decoder=codec,
    ),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=False),
)

# The stock pipelines captured the old codec when they were read: swap their GenerateTarget.
train_pipeline = [
    dict(step, encoder=codec) if step['type'] == 'GenerateTarget' else step
    for step in _base_.train_pipeline
]

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# The stock evaluator first, with its unprefixed keys (the stock save_best reads them), then the
# codec's quantization floor in the same units ('floor/...').
val_evaluator = [
    _base_.val_evaluator,
    dict(type='QuantizationFloorMetric', codec=codec, metric=_base_.val_evaluator),
]
test_evaluator = val_evaluator

# A plain `codec = dict(...)` would merge into the stock codec and keep its other arguments. Replace
# it here, last, so the uses above hold the dict without the `_delete_` flag.
codec = dict(_delete_=True, **codec)

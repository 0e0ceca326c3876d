# td-hm_hrnetv2-w18_8xb64-60e_wflw-256x256 with randomized-rounding heatmaps at 1/4 of the input
# (64x64). Everything else (HRNet, WFLWDataset, schedule, augmentation, stock metric) is the stock
# config.
# Written by:
#   python tools/convert_config.py mmpose::face_2d_keypoint/topdown_heatmap/wflw/td-hm_hrnetv2-w18_8xb64-60e_wflw-256x256.py --out configs/face_2d_keypoint/wflw/td-hm-h3r_hrnetv2-w18_8xb64-60e_wflw-256x256.py
_base_ = [
    'mmpose::face_2d_keypoint/topdown_heatmap/wflw/td-hm_hrnetv2-w18_8xb64-60e_wflw-256x256.py',
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
        in_channels=270,
        out_channels=98,
        deconv_out_channels=None,
        conv_out_channels=(270,),
        conv_kernel_sizes=(1,),
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

# The stock evaluator first, with its unprefixed keys (the stock save_best reads them); then the
# per-image NME and failure rate in percent and the CED AUC that face-alignment papers report
# ('face/NME_percent', 'face/FR@10_percent', 'face/AUC@10'), normalised as the stock NME is; then
# the codec's quantization floor scored by that face metric ('floor/face/...').
val_evaluator = [
    _base_.val_evaluator,
    dict(type='FaceAlignmentMetric', norm_mode='keypoint_distance', prefix='face'),
]
val_evaluator += [dict(type='QuantizationFloorMetric', codec=codec, metric=val_evaluator[-1])]
test_evaluator = val_evaluator

# A plain `codec = dict(...)` would merge into the stock codec and keep its other arguments. Replace
# it here, last, so the uses above hold the dict without the `_delete_` flag.
codec = dict(_delete_=True, **codec)

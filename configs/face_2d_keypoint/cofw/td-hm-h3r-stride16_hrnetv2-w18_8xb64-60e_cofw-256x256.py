# HRNetV2-W18 on COFW 256x256 with randomized-rounding heatmaps at 1/16 of the input
# (16x16): two stride-2 conv blocks between the 1/4 features and the final layer.
# Everything else is the stride-4 config.
_base_ = ['./td-hm-h3r_hrnetv2-w18_8xb64-60e_cofw-256x256.py']

codec = dict(_base_.codec, heatmap_size=(16, 16))

model = dict(head=dict(num_downsample_layers=2, decoder=codec))

# The inherited pipeline and floor metric captured the stride-4 codec: swap it again.
train_pipeline = [
    dict(type='GenerateTarget', encoder=codec) if step['type'] == 'GenerateTarget' else step
    for step in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_evaluator = [
    dict(metric, codec=codec) if metric['type'] == 'QuantizationFloorMetric' else metric
    for metric in _base_.val_evaluator
]
test_evaluator = val_evaluator

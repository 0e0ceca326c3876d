# HRNet-W32 on COCO 256x192 with randomized-rounding heatmaps (1/4 resolution, 48x64).
# Everything else (backbone, schedule, data, CocoMetric) is the stock MMPose config.
_base_ = ['mmpose::body_2d_keypoint/topdown_heatmap/coco/'
          'td-hm_hrnet-w32_8xb64-210e_coco-256x192.py']
custom_imports = dict(imports=['h3r_mmpose'], allow_failed_imports=False)

codec = dict(type='RandomizedRoundingHeatmap', input_size=(192, 256),
             heatmap_size=(48, 64), target_type='expected', topk=4)

model = dict(
    head=dict(
        _delete_=True,
        type='H3RHead',
        in_channels=32,
        out_channels=17,
        deconv_out_channels=None,
        loss=dict(type='HeatmapCrossEntropyLoss'),
        decoder=codec),
    # The codec's corner-to-corner grid is mirror-symmetric: no one-pixel shift.
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=False))

# The stock pipeline captured the old codec when it was read: swap its GenerateTarget.
train_pipeline = [
    dict(type='GenerateTarget', encoder=codec) if step['type'] == 'GenerateTarget' else step
    for step in _base_.train_pipeline
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# The shipped WFLW config (HRNetV2 layout, 256x256 input, 64x64 randomized-rounding heatmaps)
# with a tiny HRNet (branch widths 8/16/32/64, one block per branch) and the WFLW samples in
# ../shared/data/mmpose_samples/wflw (paths relative to the repository root). It makes the
# example visualisation (tools/make_visualization_example.sh); it is not a model to report.
_base_ = ['../../configs/face_2d_keypoint/wflw/td-hm-h3r_hrnetv2-w18_8xb64-60e_wflw-256x256.py']

model = dict(
    backbone=dict(
        init_cfg=None,
        extra=dict(
            stage1=dict(num_blocks=(1,), num_channels=(8,)),
            stage2=dict(num_blocks=(1, 1), num_channels=(8, 16)),
            stage3=dict(num_modules=1, num_blocks=(1, 1, 1), num_channels=(8, 16, 32)),
            stage4=dict(num_modules=1, num_blocks=(1, 1, 1, 1), num_channels=(8, 16, 32, 64)),
        ),
    ),
    # The concat neck joins all four branches: 8 + 16 + 32 + 64 channels.
    head=dict(in_channels=120, conv_out_channels=(120,)),
)

train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=400, val_interval=400)
param_scheduler = None
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=400),
    logger=dict(interval=50),
)
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)

data_root = '../shared/data/mmpose_samples/wflw/'
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, ann_file='test_wflw.json', data_prefix=dict(img='')),
)
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, ann_file='test_wflw.json', data_prefix=dict(img='')),
)
test_dataloader = val_dataloader

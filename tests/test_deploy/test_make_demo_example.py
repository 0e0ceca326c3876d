"""tools/deploy/make_demo_example.py, which makes the README's deploy picture: its config is
the training benchmark's HRNet row (built by the benchmark, read back from its dumped file),
and its enlarged test image gives the demo exactly the image the model was trained on, with
the keypoints mapped back without offset."""

import json

import numpy as np
from mmengine.config import Config
from utils import load_tool

from h3r_mmpose.benchmarks.datasets.synthetic_landmarks_render import render_landmark_image
from h3r_mmpose.benchmarks.training_config import run_config, synthetic_data
from h3r_mmpose.benchmarks.training_rows import OURS


def plain(value):
    """Config values as JSON sees them (tuples become lists)."""
    return json.loads(json.dumps(value))


def test_config_is_the_benchmark_hrnet_row(tmp_path):
    tool = load_tool('deploy/make_demo_example')
    cfg = tool.demo_config()
    budget = dict(tool.BUDGET)
    assert budget['max_iters'] == 400 and budget['batch_size'] == 16
    assert budget['eval_interval'] == budget['max_iters']  # one validation, at the end
    work = tool.WORK_DIR
    benchmark = run_config(
        OURS,
        4,
        'hrnet',
        synthetic_data(tool.DATA_DIR),
        work / 'train',
        work / 'leaderboard.jsonl',
        (128, 128),
        5,
        budget,
        0,
        augment=False,
    )
    # What the tools read back from the dumped file: the benchmark's config, with a log
    # every 50 iterations, the final checkpoint (the one exported) and the dataset's module.
    cfg.dump(tmp_path / 'config.py')
    loaded = plain(Config.fromfile(str(tmp_path / 'config.py')).to_dict())
    expected = plain(benchmark.to_dict())
    assert loaded.pop('log_level') == 'INFO'
    assert loaded.pop('custom_imports')['imports'] == ['h3r_mmpose.benchmarks']
    assert loaded['default_hooks']['logger'].pop('interval') == 50
    assert loaded['default_hooks'].pop('checkpoint') == dict(
        type='CheckpointHook', by_epoch=False, interval=budget['max_iters']
    )
    del expected['log_level'], expected['default_hooks']['logger']['interval']
    assert expected['default_hooks'].pop('checkpoint') is None
    assert loaded == expected


def test_enlarged_image_crops_back_to_the_original():
    tool, demo = load_tool('deploy/make_demo_example'), load_tool('deploy/onnx_demo')
    image, labels = render_landmark_image(np.random.default_rng(3), (128, 128), 5)
    scale, margin = tool.SCALE, tool.MARGIN
    big = tool.enlarge(image, scale, margin, tool.MARGIN_BGR)
    assert big.shape == (128 * scale + 2 * margin, 128 * scale + 2 * margin, 3)
    meta = dict(input_size=[128, 128], bbox_padding=1.0, mean=[0.0] * 3, std=[1.0] * 3)
    meta['bgr_to_rgb'] = False
    crop, center, box_size = demo.preprocess(big, tool.enlarged_box(128, 128, scale, margin), meta)
    np.testing.assert_array_equal(crop[0].transpose(1, 2, 0), image)
    # A keypoint found at the label's crop position is drawn at the label in the big image.
    drawn = demo.crop_to_image(labels.astype(np.float32), center, box_size, (128, 128))
    np.testing.assert_allclose(drawn, tool.to_enlarged(labels, scale, margin), atol=1e-3)

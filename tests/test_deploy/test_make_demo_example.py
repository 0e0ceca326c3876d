"""tools/deploy/make_demo_example.py, which makes the README's deploy picture: its config is
the training benchmark's HRNet row, and its enlarged test image gives the demo exactly the
image the model was trained on, with the keypoints mapped back without offset."""

import importlib.util
import json
from pathlib import Path

import numpy as np
from mmengine.config import Config
from utils import ROOT

from h3r_mmpose.benchmarks.datasets.synthetic_landmarks_render import render_landmark_image
from h3r_mmpose.benchmarks.training_benchmark import OURS, run_config


def load_tool(name: str):
    """The module of the script tools/deploy/<name>.py."""
    spec = importlib.util.spec_from_file_location(name, ROOT / 'tools' / 'deploy' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def plain(value):
    """Config values as JSON sees them (tuples become lists)."""
    return json.loads(json.dumps(value))


def test_config_is_the_benchmark_hrnet_row():
    tool = load_tool('make_demo_example')
    cfg = Config.fromfile(str(ROOT / tool.CONFIG))
    budget = dict(max_iters=tool.MAX_ITERS, batch_size=16, eval_interval=tool.MAX_ITERS)
    benchmark = run_config(
        OURS, 4, 'hrnet', Path('data'), Path('work'), Path('lb.jsonl'), (128, 128), 5, budget, 0
    )
    assert plain(cfg.model.to_dict()) == plain(benchmark.model.to_dict())
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        pipeline = plain(cfg[loader].dataset.pipeline)
        expected = plain(benchmark[loader].dataset.pipeline)
        for step in expected:
            if step['type'] == 'TopdownAffine':
                assert step.pop('use_udp') is False
        assert pipeline == expected
        assert cfg[loader].dataset.data_root == f'{tool.DATA_DIR}/'
    assert cfg.train_dataloader.batch_size == budget['batch_size']
    assert plain(cfg.optim_wrapper.to_dict()) == plain(benchmark.optim_wrapper.to_dict())
    assert plain(cfg.param_scheduler) == plain(benchmark.param_scheduler)
    assert plain(cfg.custom_hooks) == plain(benchmark.custom_hooks[1:])  # no leaderboard
    assert cfg.train_cfg.max_iters == tool.MAX_ITERS
    assert cfg.default_hooks.checkpoint.interval == tool.MAX_ITERS  # the checkpoint exported


def test_enlarged_image_crops_back_to_the_original():
    tool, demo = load_tool('make_demo_example'), load_tool('onnx_demo')
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

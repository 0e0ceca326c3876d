"""The training benchmark's real-faces mode: the stock 300W pipeline and metrics on the
converted YouTube Faces data (a tiny slice written here), and its report."""

from pathlib import Path

import mmpose
import numpy as np
import pytest
from face_slices import face_points, write_slice
from mmengine.config import Config

from h3r_mmpose.benchmarks.budgets import TRAINING_QUICK
from h3r_mmpose.benchmarks.crop_epe_metric import CropEPE, crop_errors
from h3r_mmpose.benchmarks.training_benchmark import benchmark_training
from h3r_mmpose.benchmarks.training_config import run_config, youtube_faces68_data
from h3r_mmpose.benchmarks.training_report import real_results_table, write_report
from h3r_mmpose.benchmarks.training_rows import OURS, SIMCC

STOCK_300W = 'face_2d_keypoint/topdown_heatmap/300w/td-hm_hrnetv2-w18_8xb64-60e_300w-256x256.py'


@pytest.fixture
def face_slice(tmp_path) -> Path:
    """Twenty people, one 80x80 frame each."""
    rng = np.random.default_rng(2)
    names = [f'Face_{person:02d}_00.jpg' for person in range(20)]
    frames = {name: face_points(rng, 80, 80) for name in names}
    data_dir = tmp_path / 'data'
    write_slice(data_dir, frames, {name: (80, 80) for name in names})
    return data_dir


def test_real_runs_use_the_stock_300w_pipeline_and_metric(tmp_path):
    stock = Config.fromfile(Path(mmpose.__file__).parent / '.mim' / 'configs' / STOCK_300W)
    data = youtube_faces68_data(tmp_path / 'data', tmp_path / 'ann')
    cfg = run_config(
        OURS, 4, 'resnet', data, tmp_path, tmp_path / 'board', (128, 128), 68,
        TRAINING_QUICK, seed=0,
    )  # fmt: skip

    def steps(pipeline) -> list:
        return [
            {key: value for key, value in step.items() if key not in ('encoder', 'input_size')}
            for step in pipeline
            if step['type'] not in ('TopdownAffine', 'GenerateTarget')
        ]

    stock_train = [dict(step) for step in stock.train_dataloader.dataset.pipeline]
    ours_train = [dict(step) for step in cfg.train_dataloader.dataset.pipeline]
    # The stock box step uses the default padding, 1.25; ours spells it out.
    for step in stock_train:
        if step['type'] == 'GetBBoxCenterScale':
            step.setdefault('padding', 1.25)
    assert steps(ours_train) == steps(stock_train)
    assert cfg.test_dataloader.dataset.type == stock.test_dataloader.dataset.type
    assert cfg.test_dataloader.dataset.ann_file.endswith('youtube_faces68_test.json')
    assert cfg.val_dataloader.dataset.ann_file.endswith('youtube_faces68_val.json')
    assert dict(stock.val_evaluator) in [dict(metric) for metric in cfg.test_evaluator]
    assert [dict(metric) for metric in cfg.val_evaluator] == [dict(stock.val_evaluator)]
    assert cfg.model.test_cfg.flip_test is True


def test_crop_errors_scale_image_errors_by_the_crop():
    gt = np.array([[[50.0, 50.0], [10.0, 20.0]]])
    pred = gt + np.array([[[2.0, 0.0], [0.0, -1.0]]])
    centre = np.array([[[40.0, 40.0]]])
    scale = np.array([[[200.0, 100.0]]])  # 200 x 100 image px onto a 64 x 64 crop
    errors = crop_errors(pred, gt, centre, scale, np.array([64.0, 64.0]))
    np.testing.assert_allclose(errors, [[2 * 64 / 200, 64 / 100]])


def test_crop_epe_counts_visible_keypoints_only():
    metric = CropEPE()
    sample = dict(
        gt_instances=dict(
            keypoints=np.array([[[10.0, 10.0], [20.0, 20.0]]]),
            keypoints_visible=np.array([[1.0, 0.0]]),
        ),
        pred_instances=dict(keypoints=np.array([[[13.0, 14.0], [90.0, 90.0]]])),
        input_center=np.array([0.0, 0.0]),
        input_scale=np.array([100.0, 100.0]),
        input_size=(100, 100),
    )
    metric.process([], [sample])
    assert metric.compute_metrics(metric.results) == dict(EPE_crop_px=5.0)


@pytest.mark.slow
def test_quick_real_faces_benchmark_end_to_end(face_slice, tmp_path):
    out = tmp_path / 'out'
    report = benchmark_training(
        out,
        budget=dict(TRAINING_QUICK, max_iters=4, eval_interval=2, batch_size=4),
        image_size=64,
        rows=[OURS, 'H3R mean shift r1.5', SIMCC],
        strides=[8, 16],
        progress=False,
        dataset='youtube_faces68',
        data_root=face_slice,
    )
    assert report['meta']['dataset'] == 'youtube_faces68' and report['meta']['flip_test']
    assert (out / 'youtube_faces68_annotations' / 'youtube_faces68_val.json').is_file()
    by_run = {(r['codec'], r['stride']): r for r in report['results']}
    assert sorted(by_run) == sorted(
        (row, stride) for row in (OURS, 'H3R mean shift r1.5', SIMCC) for stride in (8, 16)
    )
    for row in report['results']:
        for key in ('nme', 'epe_px', 'epe_crop_px', 'fr10_percent', 'auc10', 'train_error'):
            assert np.isfinite(row[key]), key
        assert 0 <= row['auc10'] <= 1 and 0 <= row['fr10_percent'] <= 100
        assert [point[0] for point in row['curve']] == [2, 4]
    # Stock SimCC does not depend on the stride: trained once, reported at both.
    simcc8, simcc16 = by_run[SIMCC, 8], by_run[SIMCC, 16]
    assert simcc16.get('reused') and not simcc8.get('reused')
    assert simcc16['nme'] == simcc8['nme'] and simcc16['curve'] == simcc8['curve']
    # The decoder row tests the network of ours: same curve, its own decode.
    assert by_run[OURS, 8]['curve'] == by_run['H3R mean shift r1.5', 8]['curve']
    assert by_run[OURS, 8]['floor_crop_px'] < 1e-3
    paths = write_report(report, out)
    table = paths['markdown'].read_text()
    assert table.startswith(real_results_table(report['results']))
    assert '| NME % | EPE crop px | FR@10 % |' in table
    assert 'H3R (ours) against the best peer (NME): s8:' in table

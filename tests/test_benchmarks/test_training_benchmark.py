"""tools/benchmark_training.py --quick end to end: rows train and are tested through MMPose's
Runner (rows that train alike share one run) and land in the JSON, table and plots."""

import json
from pathlib import Path

import mmpose
import pytest
from mmengine.config import Config
from utils import run_tool

from h3r_mmpose.benchmarks.budgets import TRAINING_QUICK
from h3r_mmpose.benchmarks.training_benchmark import training_groups
from h3r_mmpose.benchmarks.training_config import run_config, synthetic_data
from h3r_mmpose.benchmarks.training_report import (
    combine_reports,
    describe_meta,
    display_order,
    results_from_leaderboard,
    results_table,
    verdict,
)
from h3r_mmpose.benchmarks.training_rows import (
    DEFAULT_ROWS,
    H3R_ROWS,
    OURS,
    SIMCC,
    SIMCC_PER_CELL,
    codec_and_head,
    flip_test_cfg,
    training_key,
)
from h3r_mmpose.engine.hooks.leaderboard_row import read_rows

#: Two H3R rows that share one training run, and a peer.
ROWS = ('DARK', OURS, 'H3R CE, top-4 (v0.1)')


@pytest.mark.slow
def test_quick_training_benchmark_rows_strides_and_curves(tmp_path):
    arguments = ['--quick', '--no-progress', '--out-dir', str(tmp_path), '--strides', '4', '16']
    result = run_tool('tools/benchmark_training.py', *arguments, '--rows', *ROWS, timeout=900)
    report = json.loads((tmp_path / 'training_benchmark.json').read_text())
    assert report['meta']['quick'] is True and report['meta']['max_iters'] == 8
    runs = [(r['codec'], r['stride']) for r in report['results']]
    assert sorted(runs) == sorted((row, stride) for row in ROWS for stride in (4, 16))
    by_run = {(r['codec'], r['stride']): r for r in report['results']}
    for row in report['results']:
        assert row['heatmap_size'] == [128 // row['stride']] * 2
        # Finite (NaN fails); DARK's Taylor step can throw an 8-iteration prediction far off.
        assert 0 < row['epe_px'] < float('inf') and row['flops'] > 0
        # Measured on the 64 training images, not the 32 test images.
        assert 0 < row['train_error'] < float('inf') and row['train_error'] != row['epe_px']
        assert row['nme'] == pytest.approx(row['epe_px'] / 128, rel=1e-4)
        # Validation every 4 of the 8 iterations: the curve's points.
        assert [point[0] for point in row['curve']] == [4, 8]
        if row['codec'] in H3R_ROWS:
            assert row['floor_px'] < 1e-3  # lossless on the exact labels
        else:
            assert row['floor_px'] > 0.01 * row['stride']
    for stride in (4, 16):
        shared, other = by_run[OURS, stride], by_run['H3R CE, top-4 (v0.1)', stride]
        # One training run, two decoders: same curve and time, different test figures.
        assert shared['curve'] == other['curve']
        assert shared['train_seconds'] == other['train_seconds']
        assert shared['train_error'] == other['train_error']
        assert shared['epe_px'] != other['epe_px']
    for name in ('convergence', 'strides'):
        assert (tmp_path / f'training_benchmark_{name}.png').stat().st_size > 10_000
    assert results_table(report['results']) in result.stdout

    # Every test appended one leaderboard row with its figures.
    board = read_rows(str(tmp_path / 'leaderboard.jsonl'))
    assert len(board) == len(runs)
    assert sorted(row['metrics']['EPE'] for row in board) == pytest.approx(
        sorted(r['epe_px'] for r in report['results'])
    )


def test_rows_that_train_alike_share_a_run():
    rows = ['DARK', OURS, 'H3R annealed, mean shift', 'H3R CE, top-4 (v0.1)', 'H3R annealed, top-4']
    groups = training_groups(rows, 4)
    assert groups == [
        ['DARK'],
        [OURS, 'H3R CE, top-4 (v0.1)'],
        ['H3R annealed, mean shift', 'H3R annealed, top-4'],
    ]
    assert OURS in DEFAULT_ROWS


def test_heads_match_their_heatmap_strides():
    for stride in (4, 8, 16):
        codec, head = codec_and_head(OURS, stride, (128, 128), 5)
        assert codec['heatmap_size'] == (128 // stride, 128 // stride)
        # ResNet features are at 1/32: one deconvolution per halving of the stride.
        assert len(head['deconv_out_channels']) == {4: 3, 8: 2, 16: 1}[stride]
    codec, head = codec_and_head('DARK', 4, (128, 128), 5, backbone='hrnet')
    assert head['deconv_out_channels'] is None and codec['heatmap_size'] == (32, 32)
    with pytest.raises(ValueError, match=r"row must be one of .* got 'Gaussian'"):
        codec_and_head('Gaussian', 4, (128, 128), 5)
    with pytest.raises(ValueError, match='stride 8 is not available with backbone hrnet'):
        codec_and_head(OURS, 8, (128, 128), 5, backbone='hrnet')
    with pytest.raises(ValueError, match="backbone must be one of .* got 'vit'"):
        codec_and_head(OURS, 4, (128, 128), 5, backbone='vit')


def _augmentation(pipeline) -> list:
    """The steps between the box and the crop of a top-down pipeline."""
    types = [step['type'] for step in pipeline]
    return [
        dict(step)
        for step in pipeline[types.index('GetBBoxCenterScale') + 1 : types.index('TopdownAffine')]
    ]


def test_training_augmentation_is_the_stock_face_configs(tmp_path):
    wflw = 'face_2d_keypoint/topdown_heatmap/wflw/td-hm_hrnetv2-w18_8xb64-60e_wflw-256x256.py'
    stock = Config.fromfile(Path(mmpose.__file__).parent / '.mim' / 'configs' / wflw)

    def config(row: str, augment: bool) -> Config:
        paths = dict(
            data=synthetic_data(tmp_path), work_dir=tmp_path, leaderboard_file=tmp_path / 'board'
        )
        return run_config(
            row, 4, 'resnet', **paths, input_size=(128, 128), num_keypoints=5,
            budget=TRAINING_QUICK, seed=0, augment=augment,
        )  # fmt: skip

    for row in ('UDPHeatmap', OURS):
        augmented = config(row, augment=True)
        assert _augmentation(augmented.train_dataloader.dataset.pipeline) == _augmentation(
            stock.train_dataloader.dataset.pipeline
        )
        assert _augmentation(augmented.test_dataloader.dataset.pipeline) == []
        plain = config(row, augment=False)
        assert _augmentation(plain.train_dataloader.dataset.pipeline) == []


def test_verdict_counts_a_difference_only_beyond_the_spreads():
    def runs(*values):
        return [dict(epe_px=value) for value in values]

    assert verdict(runs(0.50, 0.52, 0.54), [runs(0.70, 0.71, 0.72)]) == '-26.8% (win)'
    assert verdict(runs(0.60, 0.70, 0.80), [runs(0.70, 0.71, 0.72)]).endswith('(within spread)')
    assert verdict(runs(0.90, 0.91), [runs(0.70, 0.71), runs(0.95, 0.96)]).endswith('(loss)')


def test_results_are_recovered_from_a_stopped_runs_leaderboard(tmp_path):
    board = tmp_path / 'leaderboard.jsonl'
    metrics = {'EPE': 0.8, 'NME': 0.00625, 'floor/error_px': 0.0}
    rows = [
        dict(config='H3R_hrnet_s4_seed2_20261126_133045', flops=5, params=7, metrics=metrics),
        dict(
            config='H3R_CE_top-4_v0.1_resnet_s16_seed0_20261126_133046',
            flops=5,
            params=7,
            metrics=metrics,
        ),
    ]
    board.write_text(''.join(json.dumps(row) + '\n' for row in rows))
    recovered = results_from_leaderboard(board)
    assert [(r['codec'], r['backbone'], r['stride'], r['seed']) for r in recovered] == [
        (OURS, 'hrnet', 4, 2),
        ('H3R CE, top-4 (v0.1)', 'resnet', 16, 0),
    ]
    assert recovered[1]['heatmap_size'] == [8, 8] and recovered[1]['epe_px'] == 0.8
    assert recovered[0]['train_seconds'] is None and recovered[0]['curve'] == []
    board.write_text(json.dumps(dict(rows[0], config='tiny_h3r_coco')) + '\n')
    with pytest.raises(ValueError, match="not a training benchmark run: config 'tiny_h3r_coco'"):
        results_from_leaderboard(board)


def test_reports_combine_only_with_the_same_augmentation():
    budget = dict(TRAINING_QUICK, image_size=[128, 128], num_keypoints=5)
    older = dict(meta=dict(budget), results=[dict(codec='DARK', seed=0)])  # before the option
    plain = dict(meta=dict(budget, augment=False), results=[dict(codec='DARK', seed=1)])
    augmented = dict(meta=dict(budget, augment=True), results=[dict(codec=OURS, seed=0)])
    combined = combine_reports([older, plain])
    assert combined['meta']['augment'] is False and len(combined['results']) == 2
    assert 'training augmentation: none' in describe_meta(combined['meta'])
    assert "augmentation: the stock face configs' flip" in describe_meta(augmented['meta'])
    with pytest.raises(ValueError, match=r"cannot combine runs whose \['augment'\] differ"):
        combine_reports([plain, augmented])


def test_train_set_column_only_where_measured():
    def result(codec: str, seed: int, **extra) -> dict:
        figures = dict(epe_px=0.5 + seed / 10, floor_px=0.0, train_seconds=1.0, flops=1e9)
        return dict(codec=codec, backbone='resnet', stride=4, seed=seed, **figures, **extra)

    older = [result(OURS, 0), result('UDPHeatmap', 0)]
    assert 'train-set' not in results_table(older)
    newer = older + [result(OURS, 1, train_error=0.25), result(OURS, 2, train_error=0.35)]
    # Mean ± std over the seeds that measured it; empty for the row that never did.
    assert '| H3R (ours) | 0.600 ± 0.100 (3) | 0.300 ± 0.071 (2) |' in results_table(newer)
    assert '| UDPHeatmap | 0.500 |  |' in results_table(newer)


def test_tables_list_ours_then_peers_then_the_ablation():
    names = ['H3R annealed, mean shift', 'a renamed row', 'DARK', OURS, 'UDPHeatmap', 'DARK']
    ordered = ['H3R (ours)', 'DARK', 'UDPHeatmap', 'H3R annealed, mean shift', 'a renamed row']
    assert display_order(names) == ordered
    results = [
        dict(codec=name, backbone='resnet', stride=4, seed=0, epe_px=0.5, floor_px=0.0,
             train_seconds=1.0, flops=1e9)
        for name in names[:5]
    ]  # fmt: skip
    table = results_table(results)
    assert [table.index(f'| {name} |') for name in ordered] == sorted(
        table.index(f'| {name} |') for name in ordered
    )


def test_stock_simcc_is_the_shipped_split_and_trains_once_for_every_stride():
    for stride in (4, 8, 16):
        codec, head = codec_and_head(SIMCC, stride, (128, 128), 68)
        assert codec['simcc_split_ratio'] == head['simcc_split_ratio'] == 2.0
        assert codec['sigma'] == 6.0  # 3 input pixels, the stock label width
        assert head['in_featuremap_size'] == (4, 4)  # ResNet's 1/32 features
        per_cell, _ = codec_and_head(SIMCC_PER_CELL, stride, (128, 128), 68)
        assert per_cell['simcc_split_ratio'] == 1 / stride
        assert per_cell['sigma'] == pytest.approx(3.0 / stride)
    assert training_key(SIMCC, 4) == training_key(SIMCC, 16)
    assert training_key(SIMCC_PER_CELL, 4) != training_key(SIMCC_PER_CELL, 16)
    assert training_key(OURS, 4) != training_key(OURS, 8)
    assert training_key(OURS, 4) == training_key('H3R mean shift r1.5', 4)
    _, head = codec_and_head(SIMCC, 4, (64, 64), 68, backbone='hrnet')
    assert head['in_featuremap_size'] == (16, 16)


@pytest.mark.parametrize(
    'row, expected',
    [
        ('DARK', dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True)),
        ('MSRAHeatmap', dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True)),
        ('UDPHeatmap', dict(flip_test=True, flip_mode='heatmap', shift_heatmap=False)),
        (OURS, dict(flip_test=True, flip_mode='heatmap', shift_heatmap=False)),
        (SIMCC, dict(flip_test=True)),
    ],
)
def test_flip_test_as_the_stock_configs_of_each_codec(row, expected):
    assert flip_test_cfg(row) == expected


def test_combined_reports_compare_stock_simcc_at_every_stride():
    budget = dict(TRAINING_QUICK, image_size=[128, 128], num_keypoints=5, augment=True)

    def result(codec: str, stride: int, seed: int = 0) -> dict:
        return dict(codec=codec, backbone='resnet', stride=stride, seed=seed, epe_px=0.5)

    stride4 = dict(meta=budget, results=[result(SIMCC, 4), result(SIMCC, 4, 1), result(OURS, 4)])
    stride8 = dict(meta=budget, results=[result(OURS, 8), result('DARK', 8)])
    combined = combine_reports([stride4, stride8])['results']
    copies = [r for r in combined if r.get('reused')]
    assert sorted((r['codec'], r['stride'], r['seed']) for r in copies) == [
        (SIMCC, 8, 0),
        (SIMCC, 8, 1),
    ]
    assert len(combined) == 7


def test_reports_from_before_the_dataset_option_are_synthetic():
    budget = dict(TRAINING_QUICK, image_size=[128, 128], num_keypoints=5, augment=True)
    older = dict(meta=dict(budget), results=[])
    synthetic = dict(meta=dict(budget, dataset='synthetic'), results=[])
    real = dict(meta=dict(budget, dataset='youtube_faces68'), results=[])
    assert combine_reports([older, synthetic])['meta']['dataset'] == 'synthetic'
    with pytest.raises(ValueError, match=r"cannot combine runs whose \['dataset'\] differ"):
        combine_reports([older, real])

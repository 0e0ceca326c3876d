"""tools/benchmark_training.py --quick end to end: every codec and stride trains, is tested
through MMPose's Runner and lands in the JSON, table and plot."""

import json

import pytest
from utils import run_tool

from h3r_mmpose.benchmarks.training_benchmark import CODECS, STRIDES, codec_and_head, markdown_table
from h3r_mmpose.engine.hooks.leaderboard_row import read_rows


def test_quick_training_benchmark_covers_every_codec_and_stride(tmp_path):
    result = run_tool(
        'tools/benchmark_training.py',
        '--quick',
        '--no-progress',
        '--out-dir',
        str(tmp_path),
        timeout=600,
    )
    report = json.loads((tmp_path / 'training_benchmark.json').read_text())
    assert report['meta']['quick'] is True
    runs = {(r['codec'], r['stride']) for r in report['results']}
    assert runs == {(codec, stride) for codec in CODECS for stride in STRIDES}
    for row in report['results']:
        assert row['heatmap_size'] == [128 // row['stride']] * 2
        # A real, finite error (NaN fails). Only its size depends on the codec: DARK's Taylor
        # step can throw a prediction far off an 8-iteration map (35933 px measured at stride
        # 4), while ours averages cells of the map, so it stays inside the 128-px image.
        assert 0 < row['epe_px'] < float('inf')
        assert row['train_seconds'] > 0 and row['flops'] > 0
        assert row['nme'] == pytest.approx(row['epe_px'] / 128, rel=1e-4)
        if row['codec'] == 'H3R (ours)':
            assert row['epe_px'] < 128 * 2**0.5
            assert row['floor_px'] < 1e-3  # lossless on the exact labels
        elif row['codec'] == 'MSRAHeatmap':
            assert row['floor_px'] > 0.25 * row['stride']  # rounding to the grid
    assert (tmp_path / 'training_benchmark.png').stat().st_size > 10_000
    assert markdown_table(report) in result.stdout

    # Every run's test appended one leaderboard row with its figures.
    board = read_rows(str(tmp_path / 'leaderboard.jsonl'))
    assert len(board) == len(runs)
    for row, result_row in zip(board, report['results']):
        assert row['dataset'] == 'synthetic_landmarks'
        assert row['metrics']['EPE'] == pytest.approx(result_row['epe_px'])
        assert row['flops'] == result_row['flops'] > 0


def test_heads_match_their_heatmap_strides():
    for stride in STRIDES:
        codec, head = codec_and_head('H3R (ours)', stride, (128, 128), 5)
        assert codec['heatmap_size'] == (128 // stride, 128 // stride)
        # ResNet features are at 1/32: one deconvolution per halving of the stride.
        assert len(head['deconv_out_channels']) == {4: 3, 8: 2, 16: 1}[stride]
    with pytest.raises(ValueError, match=r"codec_name must be one of .* got 'Gaussian'"):
        codec_and_head('Gaussian', 4, (128, 128), 5)

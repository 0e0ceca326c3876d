"""tools/benchmark_codecs.py --quick end to end: files, JSON structure, our losslessness."""

import json

import pytest
from utils import run_tool

CODECS = {
    'MSRAHeatmap',
    'DARK',
    'UDPHeatmap',
    'MegviiHeatmap',
    'SimCC split 2',
    'SimCC split 1/stride',
    'H3R expected (ours)',
    'H3R stochastic (ours)',
    'H3R top-4 (v0.1)',
    'H3R paper decoder (top-9)',
}
FIGURES = {'mean', 'p95', 'max', 'bias_x', 'bias_y', 'abs_bias', 'abs_bias_se'}


@pytest.mark.slow
def test_quick_benchmark_writes_a_complete_report(tmp_path):
    result = run_tool(
        'tools/benchmark_codecs.py',
        '--quick',
        '--no-progress',
        '--out-dir',
        str(tmp_path),
        timeout=300,
    )
    assert '| H3R expected (ours) |' in result.stdout
    assert (tmp_path / 'codec_benchmark.png').stat().st_size > 10_000
    assert (tmp_path / 'codec_benchmark.md').read_text() in result.stdout

    report = json.loads((tmp_path / 'codec_benchmark.json').read_text())
    assert report['meta']['quick'] is True
    rows = report['results']
    settings = {(tuple(r['input_size']), r['stride']) for r in rows}
    assert settings == {
        (size, stride) for size in ((192, 256), (256, 256)) for stride in (4, 8, 16)
    }
    for setting in settings:
        codecs = {r['codec'] for r in rows if (tuple(r['input_size']), r['stride']) == setting}
        assert codecs == CODECS
    ours = {r['setting']: r for r in rows if r['codec'] == 'H3R expected (ours)'}
    for row in rows:
        assert set(row['ideal']) == FIGURES and set(row['robust']) == FIGURES
        assert row['encode_us'] > 0 and row['decode_ms'] > 0
        # Each time is divided by ours in the same setting, not in another one.
        reference = ours[row['setting']]
        assert row['decode_vs_ours'] == row['decode_ms'] / reference['decode_ms']
        assert row['encode_vs_ours'] == row['encode_us'] / reference['encode_us']
        if row['codec'] in ('H3R expected (ours)', 'H3R top-4 (v0.1)'):
            assert row['ideal']['max'] < 1e-4
        if row['codec'] == 'H3R paper decoder (top-9)':
            # Odds weighting: biased between cells, by up to 0.15 cells.
            assert 0.01 * row['stride'] < row['ideal']['mean'] < 0.15 * row['stride']
        if row['codec'] == 'H3R stochastic (ours)':
            assert row['draws'] > 1
        if row['codec'] == 'MSRAHeatmap':
            # Pure rounding to the grid: mean error about 0.38 x stride.
            assert 0.3 * row['stride'] < row['ideal']['mean'] < 0.45 * row['stride']

"""Rendering leaderboard rows as Markdown and HTML tables, and tools/leaderboard.py."""

import json
import runpy
import sys
from pathlib import Path

from h3r_mmpose.benchmarks.leaderboard_tables import (
    lower_is_better,
    primary_metric,
    render_html,
    render_markdown,
    sort_rows,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def make_row(config: str, dataset: str, **metrics) -> dict:
    return {
        'config': config,
        'dataset': dataset,
        'codec': 'H3R()',
        'input_size': [256, 256],
        'heatmap_size': [64, 64],
        'params': 12_345_678,
        'flops': 3_210_000_000,
        'metrics': metrics,
        'date': '2024-05-01T10:00:00+00:00',
        'commit': 'abc1234',
    }


ROWS = [
    make_row('wflw_worse', 'wflw', NME=4.5, **{'AUC@10': 0.50}),
    make_row('coco_worse', 'coco', **{'coco/AP': 0.70, 'coco/AR': 0.80}),
    make_row('wflw_better', 'wflw', NME=4.0, **{'AUC@10': 0.55}),
    make_row('coco_better', 'coco', **{'coco/AP': 0.75, 'coco/AR': 0.78}),
]


def test_metric_direction_and_primary_metric():
    assert lower_is_better('NME') and lower_is_better('wflw/FR@10')
    assert lower_is_better('EPE') and lower_is_better('mean_error')
    assert not lower_is_better('coco/AP') and not lower_is_better('AUC@10')
    assert not lower_is_better('PCK')
    assert primary_metric(['coco/AR', 'coco/AP']) == 'coco/AP'
    assert primary_metric(['AUC@10', 'blur/NME', 'NME']) == 'blur/NME'
    assert primary_metric(['PCK', 'AUC']) == 'PCK'
    assert primary_metric([]) is None


def test_sort_best_first_and_missing_last():
    rows = [make_row('a', 'x', NME=2.0), make_row('b', 'x'), make_row('c', 'x', NME=1.0)]
    assert [r['config'] for r in sort_rows(rows, 'NME')] == ['c', 'a', 'b']
    rows = [make_row('a', 'x', PCK=0.5), make_row('c', 'x', PCK=0.9)]
    assert [r['config'] for r in sort_rows(rows, 'PCK')] == ['c', 'a']


def test_markdown_has_one_sorted_table_per_dataset():
    assert (
        render_markdown(ROWS)
        == '\n'.join(
            [
                '## wflw',
                '',
                '_sorted by NME, lower is better_',
                '',
                '| config | codec | input | heatmap | params (M) | FLOPs (G) | NME '
                '| AUC@10 | date | commit |',
                '|---|---|---|---|---|---|---|---|---|---|',
                '| wflw_better | H3R() | 256x256 | 64x64 | 12.35 | 3.21 | 4 '
                '| 0.5500 | 2024-05-01 | abc1234 |',
                '| wflw_worse | H3R() | 256x256 | 64x64 | 12.35 | 3.21 | 4.5000 '
                '| 0.5000 | 2024-05-01 | abc1234 |',
                '',
                '## coco',
                '',
                '_sorted by coco/AP, higher is better_',
                '',
                '| config | codec | input | heatmap | params (M) | FLOPs (G) '
                '| coco/AP | coco/AR | date | commit |',
                '|---|---|---|---|---|---|---|---|---|---|',
                '| coco_better | H3R() | 256x256 | 64x64 | 12.35 | 3.21 | 0.7500 '
                '| 0.7800 | 2024-05-01 | abc1234 |',
                '| coco_worse | H3R() | 256x256 | 64x64 | 12.35 | 3.21 | 0.7000 '
                '| 0.8000 | 2024-05-01 | abc1234 |',
            ]
        )
        + '\n'
    )


def test_html_has_the_same_sorted_tables_escaped():
    rows = ROWS + [make_row('<script>x</script>', 'coco', **{'coco/AP': 0.1})]
    page = render_html(rows)
    assert page.startswith('<!DOCTYPE html>') and '<style>' in page
    assert '<h2>wflw</h2>' in page and '<h2>coco</h2>' in page
    assert page.index('wflw_better') < page.index('wflw_worse')
    assert (
        page.index('coco_better')
        < page.index('coco_worse')
        < page.index('&lt;script&gt;x&lt;/script&gt;')
    )
    assert '<script>' not in page
    assert '<td>0.7500</td>' in page


def test_cli_prints_markdown_and_writes_html(tmp_path, capsys, monkeypatch):
    rows_file = tmp_path / 'rows.jsonl'
    rows_file.write_text(''.join(json.dumps(r) + '\n' for r in ROWS))
    html_file = tmp_path / 'board.html'
    monkeypatch.setattr(sys, 'argv', ['leaderboard.py', str(rows_file), '--html', str(html_file)])
    runpy.run_path(str(REPO_ROOT / 'tools' / 'leaderboard.py'), run_name='__main__')
    assert capsys.readouterr().out == render_markdown(ROWS)
    assert html_file.read_text() == render_html(ROWS)

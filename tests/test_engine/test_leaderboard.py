"""Tests of LeaderboardHook (driven by a real mmengine test run) and of the
Markdown/HTML rendering of its rows."""

import json
import runpy
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from torch import nn

from h3r_mmpose.engine.hooks import LeaderboardHook
from h3r_mmpose.engine.hooks.leaderboard_hook import (
    config_name,
    describe_codec,
    git_commit,
    model_complexity,
)
from h3r_mmpose.benchmarks.leaderboard_tables import (
    lower_is_better,
    parse_rows,
    primary_metric,
    read_rows,
    render_html,
    render_markdown,
    sort_rows,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
WFLW_DIR = REPO_ROOT.parent / 'shared' / 'data' / 'mmpose_samples' / 'wflw'

CODEC = dict(type='MSRAHeatmap', input_size=(64, 64), heatmap_size=(16, 16), sigma=2)


def tiny_wflw_config(work_dir: Path, out_file: Path) -> dict:
    """A real ResNet-18 + HeatmapHead test config on the 4 WFLW samples."""
    return dict(
        default_scope='mmpose',
        work_dir=str(work_dir),
        custom_imports=dict(imports=['h3r_mmpose']),
        model=dict(
            type='TopdownPoseEstimator',
            data_preprocessor=dict(
                type='PoseDataPreprocessor',
                mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375],
                bgr_to_rgb=True,
            ),
            backbone=dict(type='ResNet', depth=18),
            head=dict(
                type='HeatmapHead',
                in_channels=512,
                out_channels=98,
                deconv_out_channels=(32, 32),
                deconv_kernel_sizes=(4, 4),
                decoder=CODEC,
            ),
            test_cfg=dict(flip_test=False),
        ),
        test_dataloader=dict(
            batch_size=4,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(
                type='WFLWDataset',
                data_root=str(WFLW_DIR),
                ann_file='test_wflw.json',
                data_prefix=dict(img=''),
                test_mode=True,
                pipeline=[
                    dict(type='LoadImage'),
                    dict(type='GetBBoxCenterScale'),
                    dict(type='TopdownAffine', input_size=(64, 64)),
                    dict(type='PackPoseInputs'),
                ],
            ),
        ),
        test_evaluator=dict(type='FaceAlignmentMetric'),
        test_cfg=dict(),
        custom_hooks=[dict(type='LeaderboardHook', out_file=str(out_file))],
        log_level='WARNING',
    )


@pytest.fixture(scope='module')
def test_run(tmp_path_factory):
    """One real ``Runner.test()``; returns its metrics, model and row file."""
    if not WFLW_DIR.is_dir():
        pytest.skip(f'sample data not found at {WFLW_DIR}')
    from mmengine.runner import Runner

    tmp = tmp_path_factory.mktemp('run')
    out_file = tmp / 'board' / 'rows.jsonl'
    # Load it from a file, as a real run does, so that it has a filename.
    config_file = tmp / 'td-hm_res18_wflw-64x64.py'
    Config(tiny_wflw_config(tmp / 'work', out_file)).dump(str(config_file))
    runner = Runner.from_cfg(Config.fromfile(str(config_file)))
    metrics = runner.test()
    return SimpleNamespace(metrics=metrics, model=runner.model, rows=read_rows(str(out_file)))


def test_hook_appends_one_row_describing_the_test_run(test_run):
    assert len(test_run.rows) == 1
    row = test_run.rows[0]
    assert row['config'] == 'td-hm_res18_wflw-64x64'
    assert row['dataset'] == 'wflw'
    assert row['codec'] == 'MSRAHeatmap(sigma=2)'
    assert row['input_size'] == [64, 64]
    assert row['heatmap_size'] == [16, 16]
    assert row['params'] == sum(p.numel() for p in test_run.model.parameters())
    assert row['flops'] > 0
    assert row['metrics'] == pytest.approx({k: float(v) for k, v in test_run.metrics.items()})
    assert set(row['metrics']) == {'NME', 'FR@10', 'AUC@10', 'num_images', 'num_skipped_images'}
    assert row['metrics']['num_images'] == 4.0
    assert row['date'].endswith('+00:00')  # ISO 8601 in UTC
    assert isinstance(row['commit'], str) and row['commit']


def test_hook_row_renders_in_markdown_and_html(test_run):
    markdown = render_markdown(test_run.rows)
    assert '## wflw' in markdown
    assert ('| td-hm_res18_wflw-64x64 | MSRAHeatmap(sigma=2) | 64x64 | 16x16 |') in markdown
    assert '<td>td-hm_res18_wflw-64x64</td>' in render_html(test_run.rows)


class ConvEstimator(nn.Module):
    """An estimator-like module: ``_forward`` is a 1x1 conv, 3 -> 2 channels.

    Its ``forward`` would fail, as an estimator's does without data samples.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 2, kernel_size=1)
        self.seen_shapes = []

    def forward(self, inputs, data_samples, mode):
        raise AssertionError('the FLOP count must use _forward')

    def _forward(self, inputs: torch.Tensor) -> torch.Tensor:
        self.seen_shapes.append(tuple(inputs.shape))
        return self.conv(inputs)


def test_model_complexity_counts_the_tensor_forward_exactly():
    model = ConvEstimator().train()
    info = model_complexity(model, input_size=(5, 4))  # (w, h)
    # 3 * 2 weights + 2 biases; one multiply-add per weight and pixel.
    assert info == {'params': 8, 'flops': 3 * 2 * 4 * 5}
    assert model.seen_shapes[0] == (1, 3, 4, 5)  # (B, C, H, W)
    assert model.training  # the mode is restored


def fake_runner(cfg: dict, model: nn.Module, work_dir: Path):
    """The runner attributes the hook reads, for runs without a dataset."""
    return SimpleNamespace(
        cfg=Config(cfg),
        experiment_name='exp_20240101',
        model=model,
        test_dataloader=SimpleNamespace(dataset=SimpleNamespace(metainfo={'dataset_name': '300w'})),
        work_dir=str(work_dir),
        logger=SimpleNamespace(info=lambda message: None),
    )


def test_unmeasurable_model_gets_none_not_a_crash(tmp_path):
    runner = fake_runner(
        dict(model=dict(head=dict(decoder=CODEC))), nn.Linear(2, 2), tmp_path
    )  # no _forward
    LeaderboardHook().after_test_epoch(runner, {'NME': 3.5, 'note': 'x'})
    rows = read_rows(str(tmp_path / 'leaderboard.jsonl'))
    assert len(rows) == 1
    assert rows[0]['config'] == 'exp_20240101'  # no config file
    assert rows[0]['dataset'] == '300w'
    assert rows[0]['input_size'] == [64, 64]
    assert (rows[0]['params'], rows[0]['flops']) == (None, None)
    assert rows[0]['metrics'] == {'NME': 3.5}  # non-numbers are dropped


def test_model_without_decoder_gets_empty_codec_columns(tmp_path):
    runner = fake_runner(dict(model=dict(head=dict(type='SomeHead'))), ConvEstimator(), tmp_path)
    LeaderboardHook().after_test_epoch(runner, {'NME': 3.5})
    LeaderboardHook().after_test_epoch(runner, {'NME': 2.5})
    rows = read_rows(str(tmp_path / 'leaderboard.jsonl'))
    assert [row['metrics']['NME'] for row in rows] == [3.5, 2.5]  # appended
    assert [rows[0][key] for key in ('codec', 'input_size', 'heatmap_size', 'params', 'flops')] == [
        None
    ] * 5


def test_small_helpers():
    assert config_name('/a/b/td-hm_wflw.py', 'exp') == 'td-hm_wflw'
    assert config_name(None, 'exp') == 'exp'
    assert describe_codec(None) is None
    assert (
        describe_codec(dict(type='UDPHeatmap', input_size=(1, 1), sigma=2.0, blur_kernel_size=11))
        == 'UDPHeatmap(blur_kernel_size=11, sigma=2.0)'
    )


def test_git_commit_outside_a_repository_is_unknown(tmp_path):
    assert git_commit(cwd=str(tmp_path)) == 'unknown'


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


def test_parse_rows_skips_blank_lines_and_rejects_bad_ones():
    assert parse_rows(['{"a": 1}', '', '  \n', '{"b": 2}\n']) == [{'a': 1}, {'b': 2}]
    with pytest.raises(ValueError, match='line 2'):
        parse_rows(['{"a": 1}', '{oops'])
    with pytest.raises(ValueError, match='line 1 must be a JSON object'):
        parse_rows(['[1, 2]'])


def test_cli_prints_markdown_and_writes_html(tmp_path, capsys, monkeypatch):
    rows_file = tmp_path / 'rows.jsonl'
    rows_file.write_text(''.join(json.dumps(r) + '\n' for r in ROWS))
    html_file = tmp_path / 'board.html'
    monkeypatch.setattr(sys, 'argv', ['leaderboard.py', str(rows_file), '--html', str(html_file)])
    runpy.run_path(str(REPO_ROOT / 'tools' / 'leaderboard.py'), run_name='__main__')
    assert capsys.readouterr().out == render_markdown(ROWS)
    assert html_file.read_text() == render_html(ROWS)

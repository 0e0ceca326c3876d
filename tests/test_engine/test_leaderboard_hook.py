"""LeaderboardHook, driven by a real mmengine test run and by runners without a model or a
decoder."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from mmengine.config import Config
from torch import nn
from utils import wflw_samples_dataset

from h3r_mmpose.benchmarks.leaderboard_tables import render_html, render_markdown
from h3r_mmpose.engine.hooks import LeaderboardHook
from h3r_mmpose.engine.hooks.leaderboard_row import read_rows

TINY_CONFIG = Path(__file__).resolve().parents[1] / 'data' / 'tiny_h3r_coco.py'
CODEC = dict(type='MSRAHeatmap', input_size=(64, 64), heatmap_size=(16, 16), sigma=2)


def tiny_wflw_config(samples_dir: Path, work_dir: Path, out_file: Path) -> dict:
    """The tiny test model's ResNet-18 with an MSRA ``HeatmapHead`` for WFLW's 98 keypoints,
    tested on the four WFLW samples."""
    model = Config.fromfile(str(TINY_CONFIG)).model.to_dict()
    model.update(
        head=dict(
            type='HeatmapHead',
            in_channels=512,
            out_channels=98,
            deconv_out_channels=(32, 32),
            deconv_kernel_sizes=(4, 4),
            decoder=CODEC,
        ),
        test_cfg=dict(flip_test=False),
    )
    return dict(
        default_scope='mmpose',
        work_dir=str(work_dir),
        custom_imports=dict(imports=['h3r_mmpose']),
        model=model,
        test_dataloader=dict(
            batch_size=4,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=wflw_samples_dataset(samples_dir, CODEC['input_size']),
        ),
        test_evaluator=dict(type='FaceAlignmentMetric'),
        test_cfg=dict(),
        custom_hooks=[dict(type='LeaderboardHook', out_file=str(out_file))],
        log_level='WARNING',
    )


@pytest.fixture(scope='module')
def evaluated_run(tmp_path_factory, samples_dir):
    """One real ``Runner.test()``; returns its metrics, model and row file."""
    from mmengine.runner import Runner

    tmp = tmp_path_factory.mktemp('run')
    out_file = tmp / 'board' / 'rows.jsonl'
    # Load it from a file, as a real run does, so that it has a filename.
    config_file = tmp / 'td-hm_res18_wflw-64x64.py'
    Config(tiny_wflw_config(samples_dir, tmp / 'work', out_file)).dump(str(config_file))
    runner = Runner.from_cfg(Config.fromfile(str(config_file)))
    metrics = runner.test()
    return SimpleNamespace(metrics=metrics, model=runner.model, rows=read_rows(str(out_file)))


@pytest.mark.slow
def test_hook_appends_one_row_describing_the_test_run(evaluated_run):
    assert len(evaluated_run.rows) == 1
    row = evaluated_run.rows[0]
    assert row['config'] == 'td-hm_res18_wflw-64x64'
    assert row['dataset'] == 'wflw'
    assert row['codec'] == 'MSRAHeatmap(sigma=2)'
    assert row['input_size'] == [64, 64]
    assert row['heatmap_size'] == [16, 16]
    assert row['params'] == sum(p.numel() for p in evaluated_run.model.parameters())
    assert row['flops'] > 0
    assert row['metrics'] == pytest.approx({k: float(v) for k, v in evaluated_run.metrics.items()})
    assert set(row['metrics']) == {
        'NME_percent',
        'FR@10_percent',
        'AUC@10',
        'num_images',
        'num_skipped_images',
    }
    assert row['metrics']['num_images'] == 4.0
    assert row['date'].endswith('+00:00')  # ISO 8601 in UTC
    assert isinstance(row['commit'], str) and row['commit']


@pytest.mark.slow
def test_hook_row_renders_in_markdown_and_html(evaluated_run):
    markdown = render_markdown(evaluated_run.rows)
    assert '## wflw' in markdown
    assert ('| td-hm_res18_wflw-64x64 | MSRAHeatmap(sigma=2) | 64x64 | 16x16 |') in markdown
    assert '<td>td-hm_res18_wflw-64x64</td>' in render_html(evaluated_run.rows)


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
    runner = fake_runner(dict(model=dict(head=dict(type='SomeHead'))), nn.Linear(2, 2), tmp_path)
    LeaderboardHook().after_test_epoch(runner, {'NME': 3.5})
    LeaderboardHook().after_test_epoch(runner, {'NME': 2.5})
    rows = read_rows(str(tmp_path / 'leaderboard.jsonl'))
    assert [row['metrics']['NME'] for row in rows] == [3.5, 2.5]  # appended
    assert [rows[0][key] for key in ('codec', 'input_size', 'heatmap_size', 'params', 'flops')] == [
        None
    ] * 5

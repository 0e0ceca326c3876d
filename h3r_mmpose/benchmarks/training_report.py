"""Tables and plots of the training benchmark, from its results (see ``training_benchmark``).

Results of several runs (other seeds, the other backbone, a longer schedule) are combined by
concatenating their ``results``; every figure is the mean over seeds with its spread.
"""

import json
import re
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Tuple

import numpy as np

from ..engine.hooks.leaderboard_row import read_rows
from .reporting import in_order, markdown_table, pyplot, stride_axes
from .training_benchmark import FIGURES
from .training_rows import ALL_ROWS, OURS, PEERS, run_name, stride_free

REAL_DATASETS = ('youtube_faces68',)


def is_real(meta: dict) -> bool:
    """Whether a report's runs trained on real faces (reports before the option: synthetic)."""
    return meta.get('dataset', 'synthetic') in REAL_DATASETS


def primary_key(meta: dict) -> str:
    """The figure a report ranks its rows by: NME on real faces, EPE on synthetic marks."""
    return 'nme' if is_real(meta) else 'epe_px'


def _keyed(results: Iterable[dict], *keys: str) -> Dict[tuple, List[dict]]:
    """Group result rows by the values of ``keys``, keeping first-appearance order."""
    groups: Dict[tuple, List[dict]] = {}
    for row in results:
        groups.setdefault(tuple(row[key] for key in keys), []).append(row)
    return groups


def seed_statistics(rows: Sequence[dict], key: str = 'epe_px') -> Tuple[float, float, int]:
    """Mean, sample standard deviation (0 for one seed) and number of seeds of ``key``."""
    values = np.array([row[key] for row in rows], dtype=np.float64)
    spread = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return float(values.mean()), spread, len(values)


def format_mean(rows: Sequence[dict], key: str = 'epe_px') -> str:
    """``0.612 ± 0.010 (3)``, or ``0.612`` for a single seed."""
    mean, spread, count = seed_statistics(rows, key)
    return f'{mean:.3f} ± {spread:.3f} ({count})' if count > 1 else f'{mean:.3f}'


def verdict(ours: Sequence[dict], peers: Sequence[Sequence[dict]], key: str = 'epe_px') -> str:
    """Compare our ``key`` with the best peer's: a win or loss only beyond both spreads.

    Returns:
        str: e.g. ``-12.3% (win)``, ``+2.0% (within spread)``.
    """
    our_mean, our_spread, _ = seed_statistics(ours, key)
    best = min(peers, key=lambda rows: seed_statistics(rows, key)[0])
    peer_mean, peer_spread, _ = seed_statistics(best, key)
    change = 100 * (our_mean / peer_mean - 1)
    margin = our_spread + peer_spread
    if our_mean + margin < peer_mean:
        outcome = 'win'
    elif our_mean - margin > peer_mean:
        outcome = 'loss'
    else:
        outcome = 'within spread'
    return f'{change:+.1f}% ({outcome})'


def _recorded_mean(rows: Sequence[dict], key: str) -> str:
    """Mean ± std over the seeds that recorded ``key`` ('' where none did: runs made before
    it was measured, or recovered from a leaderboard)."""
    recorded = [row for row in rows if row.get(key) is not None]
    return format_mean(recorded, key) if recorded else ''


def _plain(rows: Sequence[dict], key: str, digits: int = 3) -> str:
    """Mean of ``key`` over the seeds that recorded it, without spread ('' where none did)."""
    recorded = [row for row in rows if row.get(key) is not None]
    return f'{seed_statistics(recorded, key)[0]:.{digits}f}' if recorded else ''


def display_order(names: Iterable[str]) -> List[str]:
    """Distinct row names, ours first, then the peers, then the other H3R forms (each in
    ``ALL_ROWS`` order); names no longer in ``ALL_ROWS`` last, as they first appear."""
    order = (OURS,) + tuple(name for name in ALL_ROWS if name != OURS)
    return sorted(
        in_order(names), key=lambda name: order.index(name) if name in order else len(order)
    )


def results_table(results: Sequence[dict]) -> str:
    """One table per backbone: EPE per row and stride (mean ± std over seeds), the EPE on
    the training images, the quantization floor, the training time and the FLOPs, and ours
    against the best peer."""
    sections = []
    for (backbone,), rows in _keyed(results, 'backbone').items():
        strides = sorted({row['stride'] for row in rows})
        by_row = _keyed(rows, 'codec', 'stride')
        names = display_order(row['codec'] for row in rows)
        # Reports made before the train-set EPE was measured have no such column.
        train_set = any(row.get('train_error') is not None for row in rows)
        columns = ['EPE px', *(['train-set EPE'] if train_set else []), 'floor px', 'train s']
        header = ['row'] + [f'{column} s{s}' for column in columns + ['GFLOPs'] for s in strides]
        table_rows = []
        for name in names:
            cells = [name]
            for key, text in (
                ('epe_px', format_mean),
                *([('train_error', _recorded_mean)] if train_set else []),
                ('floor_px', lambda r, k: f'{seed_statistics(r, k)[0]:.3f}'),
                ('train_seconds', lambda r, k: _plain(r, k, 0)),
                ('flops', lambda r, k: f'{seed_statistics(r, k)[0] / 1e9:.3f}'),
            ):
                cells += [
                    text(by_row[name, s], key) if (name, s) in by_row else '' for s in strides
                ]
            table_rows.append(cells)
        lines = [f'**{backbone}**', '', markdown_table(header, table_rows)]
        peers = [name for name in names if name in PEERS]
        if OURS in names and peers:
            comparisons = []
            for s in strides:
                measured = [by_row[p, s] for p in peers if (p, s) in by_row]
                if (OURS, s) in by_row and measured:
                    comparisons.append(f's{s}: {verdict(by_row[OURS, s], measured)}')
            lines += ['', f'{OURS} against the best peer (EPE): ' + ', '.join(comparisons)]
        sections.append('\n'.join(lines))
    return '\n\n'.join(sections) + '\n'


def _percent(rows: Sequence[dict], key: str) -> str:
    """A fraction's mean ± std over seeds, in percent."""
    recorded = [dict(row, **{key: 100 * row[key]}) for row in rows if row.get(key) is not None]
    return format_mean(recorded, key) if recorded else ''


def real_results_table(results: Sequence[dict]) -> str:
    """One table per backbone on real faces, a line per row and stride: NME (outer eye
    corners, as the stock 300W configs score) in percent, mean ± std over seeds, the EPE in
    crop pixels, the failure rate and AUC at NME 10%, the NME on the training images, the
    quantization floor in crop pixels, the training time and the FLOPs; then ours against
    the best peer per stride."""
    sections = []
    header = [
        'row',
        'stride',
        'NME %',
        'EPE crop px',
        'FR@10 %',
        'AUC@10',
        'train-set NME %',
        'floor crop px',
        'train s',
        'GFLOPs',
    ]
    for (backbone,), rows in _keyed(results, 'backbone').items():
        strides = sorted({row['stride'] for row in rows})
        by_row = _keyed(rows, 'codec', 'stride')
        names = display_order(row['codec'] for row in rows)
        table_rows = []
        for stride in strides:
            for name in names:
                if (name, stride) not in by_row:
                    continue
                runs = by_row[name, stride]
                table_rows.append(
                    [
                        name,
                        str(stride),
                        _percent(runs, 'nme'),
                        _recorded_mean(runs, 'epe_crop_px'),
                        _plain(runs, 'fr10_percent', 2),
                        _plain(runs, 'auc10', 4),
                        _percent(runs, 'train_error'),
                        _plain(runs, 'floor_crop_px'),
                        _plain(runs, 'train_seconds', 0),
                        f'{seed_statistics(runs, "flops")[0] / 1e9:.3f}',
                    ]
                )
        lines = [f'**{backbone}**', '', markdown_table(header, table_rows)]
        comparisons = []
        for stride in strides:
            measured = [by_row[p, stride] for p in PEERS if (p, stride) in by_row]
            if (OURS, stride) in by_row and measured:
                comparisons.append(f's{stride}: {verdict(by_row[OURS, stride], measured, "nme")}')
        if comparisons:
            lines += ['', f'{OURS} against the best peer (NME): ' + ', '.join(comparisons)]
        sections.append('\n'.join(lines))
    return '\n\n'.join(sections) + '\n'


def trained_with_augmentation(meta: dict) -> bool:
    """Whether a report's runs were augmented; reports from before the option were not."""
    return bool(meta.get('augment', False))


def describe_meta(meta: dict) -> str:
    """A one-paragraph note on the setting of a report."""
    if is_real(meta):
        return (
            f'Real faces ({meta["dataset"]}: YouTube Faces crops, 68 human labels, split by '
            f'person), {meta["image_size"][0]}-px input, {meta["max_iters"]} iterations of '
            f"batch {meta['batch_size']} with the stock 300W pipeline's augmentation, flip "
            "test on. NME: the stock 300W metric (mean error over the outer eye corners' "
            'distance) on the test split; EPE crop px: the error in input pixels; FR@10, '
            'AUC@10: the share of test images with NME above 10% and the area under their '
            'error curve up to 10%. The labels are whole pixels: a rounding floor of 0.41 px '
            'in the original images. Mean ± sample std over seeds (count) where several ran; '
            'a difference counts as a win or loss only beyond the sum of the two spreads.\n'
        )
    augmentation = (
        "the stock face configs' flip and box jitter" if trained_with_augmentation(meta) else 'none'
    )
    return (
        f'EPE: mean end-point error on the test split in input pixels '
        f'({meta["image_size"][0]}-px images, {meta["num_train"]} training images, '
        f'{meta["num_test"]} test images, {meta["max_iters"]} iterations of batch '
        f'{meta["batch_size"]}, training augmentation: {augmentation}); mean ± sample std '
        f"over seeds (count) where several ran. floor: the codec's own round-trip error on "
        f"the same labels (the error of a network that outputs the codec's target). A "
        f'difference counts as a win or loss only beyond the sum of the two spreads.\n'
    )


def plot_convergence(
    results: Sequence[dict], path: Path, stride: int = 4, ylabel: str = 'test EPE (input px)'
) -> None:
    """The validation figure against training iterations at one stride: one panel per
    backbone, one line per row (mean over seeds)."""
    plt = pyplot()
    at_stride = [row for row in results if row['stride'] == stride and row.get('curve')]
    backbones = in_order(row['backbone'] for row in at_stride)
    fig, axes = plt.subplots(1, max(1, len(backbones)), figsize=(7 * max(1, len(backbones)), 4.8))
    axes = np.atleast_1d(axes)
    for axis, backbone in zip(axes, backbones):
        rows = [row for row in at_stride if row['backbone'] == backbone]
        drawn = set()
        runs_of = _keyed(rows, 'codec')
        for index, name in enumerate(display_order(row['codec'] for row in rows)):
            runs = runs_of[(name,)]
            # Rows that differ only in the decoder share their training run and its curve
            # (measured with the first row's decoder): draw it once.
            key = json.dumps([run['curve'] for run in runs])
            if key in drawn:
                continue
            drawn.add(key)
            iterations = [point[0] for point in runs[0]['curve']]
            errors = np.mean([[point[1] for point in run['curve']] for run in runs], axis=0)
            style = '-' if name in PEERS or name == OURS else '--'
            width = 2.5 if name == OURS else 1.2
            axis.plot(iterations, errors, style, color=f'C{index}', lw=width, label=name)
        axis.set(
            yscale='log',
            xlabel='training iteration',
            ylabel=ylabel,
            title=f'{backbone}, stride {stride}: convergence (mean over seeds)',
        )
        axis.grid(True, which='both', alpha=0.3)
        axis.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_error_vs_stride(results: Sequence[dict], path: Path, key: str = 'epe_px') -> None:
    """Test error (solid) against stride, ResNet rows; on synthetic marks (``epe_px``) with
    the quantization floor (dotted) in the same units."""
    plt = pyplot()
    fig, axis = plt.subplots(figsize=(7, 4.8))
    rows = [row for row in results if row['backbone'] == 'resnet']
    for index, ((name,), runs) in enumerate(_keyed(rows, 'codec').items()):
        by_stride = _keyed(runs, 'stride')
        strides = sorted(stride for (stride,) in by_stride)
        if len(strides) < 2:
            continue
        errors = [seed_statistics(by_stride[(s,)], key)[0] for s in strides]
        axis.plot(strides, errors, 'o-', color=f'C{index}', label=name)
        if key == 'epe_px':
            floors = [max(seed_statistics(by_stride[(s,)], 'floor_px')[0], 1e-2) for s in strides]
            axis.plot(strides, floors, ':', color=f'C{index}', alpha=0.7)
    stride_axes(axis)
    if key == 'epe_px':
        axis.set(
            ylabel='test error (input px)',
            title='Trained error (solid) and quantization floor (dotted, shown >= 0.01)',
        )
    else:
        axis.set(ylabel=f'test {key.upper()}', title=f'Trained test {key.upper()} against stride')
    axis.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(report: dict, out_dir: Path, name: str = 'training_benchmark') -> Dict[str, Path]:
    """Write ``<name>.json``, ``.md``, ``_convergence.png`` and ``_strides.png``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = dict(
        json=out_dir / f'{name}.json',
        markdown=out_dir / f'{name}.md',
        convergence=out_dir / f'{name}_convergence.png',
        strides=out_dir / f'{name}_strides.png',
    )
    paths['json'].write_text(json.dumps(report, indent=1))
    real = is_real(report['meta'])
    table = real_results_table if real else results_table
    paths['markdown'].write_text(table(report['results']) + '\n' + describe_meta(report['meta']))
    ylabel = 'validation NME (outer eye corners)' if real else 'test EPE (input px)'
    plot_convergence(report['results'], paths['convergence'], ylabel=ylabel)
    plot_error_vs_stride(report['results'], paths['strides'], primary_key(report['meta']))
    return paths


def spread_stride_free(results: Sequence[dict]) -> List[dict]:
    """The results, plus a copy (``reused=True``) of every stride-free row's run at each
    stride of its backbone where that row and seed did not run: stock SimCC trained in one
    report is compared at the strides of another."""
    spread = list(results)
    keys = ('backbone', 'codec', 'seed', 'stride')
    done = {tuple(r.get(key) for key in keys) for r in results}
    for row in results:
        if not stride_free(row['codec']) or row.get('reused'):
            continue
        strides = {r['stride'] for r in results if r.get('backbone') == row['backbone']}
        for stride in sorted(strides):
            key = (row['backbone'], row['codec'], row['seed'], stride)
            if key not in done:
                done.add(key)
                spread.append(dict(row, stride=stride, reused=True))
    return spread


def combine_reports(reports: Sequence[dict]) -> dict:
    """Concatenate the results of runs made with the same budget (seeds, backbones).

    Raises:
        ValueError: if the runs' budgets, data or augmentation differ.
    """
    shared = (
        'dataset',
        'num_train',
        'num_test',
        'image_size',
        'num_keypoints',
        'max_iters',
        'batch_size',
        'eval_interval',
    )
    # Reports made before the real-data mode trained on the synthetic marks.
    metas = [
        dict(report['meta'], dataset=report['meta'].get('dataset', 'synthetic'))
        for report in reports
    ]
    first = metas[0]
    for meta in metas[1:]:
        different = [key for key in shared if meta.get(key) != first.get(key)]
        if trained_with_augmentation(meta) != trained_with_augmentation(first):
            different.append('augment')
        if different:
            raise ValueError(f'cannot combine runs whose {different} differ')
    combined = {key: first.get(key) for key in shared}
    combined['augment'] = trained_with_augmentation(first)
    combined['parts'] = [report['meta'] for report in reports]
    results = [row for report in reports for row in report['results']]
    return dict(meta=combined, results=spread_stride_free(results))


#: A benchmark run's leaderboard name: ``<row>_<backbone>_s<stride>_seed<seed>_<timestamp>``.
RUN_NAME = re.compile(
    r'^(?P<row>.+)_(?P<backbone>resnet|hrnet)_s(?P<stride>\d+)_seed(?P<seed>\d+)_\d{8}_\d{6}$'
)


def results_from_leaderboard(path: Path, image_size: int = 128) -> List[dict]:
    """Result rows recovered from the leaderboard rows a benchmark run appended.

    Every test of the benchmark appends a leaderboard row as soon as it ends, while the
    report is written at the end of the run; this reads back the runs of a benchmark that
    was stopped early. Training time and convergence curve are not in a leaderboard row, so
    they stay empty (``train_seconds`` and ``train_error`` None, ``curve`` []).

    Raises:
        ValueError: for a row whose config name is not a benchmark run's.
    """
    names = {run_name(row): row for row in ALL_ROWS}
    results = []
    for board_row in read_rows(str(path)):
        match = RUN_NAME.match(board_row['config'])
        if match is None or match['row'] not in names:
            raise ValueError(f'not a training benchmark run: config {board_row["config"]!r}')
        metrics, stride = board_row['metrics'], int(match['stride'])
        results.append(
            dict(
                codec=names[match['row']],
                backbone=match['backbone'],
                stride=stride,
                seed=int(match['seed']),
                heatmap_size=[image_size // stride] * 2,
                **{name: metrics[key] for name, key in FIGURES.items() if key in metrics},
                flops=board_row['flops'],
                params=board_row['params'],
                train_seconds=None,
                train_error=None,
                curve=[],
            )
        )
    return results

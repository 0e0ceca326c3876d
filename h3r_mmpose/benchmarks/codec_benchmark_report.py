"""The codec leaderboard's report: its Markdown tables, its plot and its files.

The figures come from :func:`h3r_mmpose.benchmarks.codec_benchmark.benchmark_codecs`.
"""

from pathlib import Path
from typing import Dict

from .reporting import in_order, markdown_table, pyplot, stride_axes, write_report_files

COLUMNS = (
    'codec',
    'mean px',
    'p95 px',
    'max px',
    'signed bias x, y px',
    'abs bias px (s.e.)',
    'robust mean px',
    'robust abs bias px',
    'encode us/sample',
    'decode ms/batch',
    'decode time / ours',
)


def abs_bias(figures: Dict[str, float]) -> str:
    """``abs_bias`` with its standard error when it was estimated from several draws."""
    text = f'{figures["abs_bias"]:.2e}'
    return text + f' ({figures["abs_bias_se"]:.1e})' if figures['abs_bias_se'] else text


def leaderboard_cells(row: dict) -> list:
    """One codec's cells in the order of :data:`COLUMNS`."""
    ideal = row['ideal']
    return [
        row['codec'],
        f'{ideal["mean"]:.2e}',
        f'{ideal["p95"]:.2e}',
        f'{ideal["max"]:.2e}',
        f'{ideal["bias_x"]:+.1e}, {ideal["bias_y"]:+.1e}',
        abs_bias(ideal),
        f'{row["robust"]["mean"]:.3f}',
        f'{row["robust"]["abs_bias"]:.3f}',
        f'{row["encode_us"]:.0f}',
        f'{row["decode_ms"]:.2f}',
        f'{row["decode_vs_ours"]:.1f}x',
    ]


def leaderboard_markdown(report: dict) -> str:
    """The leaderboard as Markdown, one table per setting."""
    blocks = []
    for setting in in_order(r['setting'] for r in report['results']):
        rows = [r for r in report['results'] if r['setting'] == setting]
        heatmap = 'x'.join(map(str, rows[0]['heatmap_size']))
        table = markdown_table(COLUMNS, map(leaderboard_cells, rows))
        blocks.append(f'**{setting}** (heatmap {heatmap})\n\n{table}')
    return '\n\n'.join(blocks) + '\n'


def plot_error_vs_stride(report: dict, path: Path) -> None:
    """Mean round-trip error against stride, ideal (solid) and robust (dashed)."""
    plt = pyplot()
    results = report['results']
    groups = in_order(r['setting'].rsplit(' ', 1)[0] for r in results)
    fig, axes = plt.subplots(1, len(groups), figsize=(6.5 * len(groups), 4.8), squeeze=False)
    for axis, group in zip(axes[0], groups):
        for index, codec in enumerate(in_order(r['codec'] for r in results)):
            rows = sorted(
                (r for r in results if r['codec'] == codec and r['setting'].startswith(group)),
                key=lambda r: r['stride'],
            )
            strides = [r['stride'] for r in rows]
            colour = f'C{index}'
            # Floor at 1e-6 px so exact round trips stay visible on the log axis.
            axis.plot(
                strides,
                [max(r['ideal']['mean'], 1e-6) for r in rows],
                'o-',
                color=colour,
                label=codec,
            )
            axis.plot(strides, [r['robust']['mean'] for r in rows], 's--', color=colour, alpha=0.6)
        stride_axes(axis)
        axis.set(
            ylabel='mean round-trip error (input px)',
            title=f'{group}: ideal (solid) and blurred+noisy (dashed)',
        )
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(report: dict, out_dir: Path) -> Dict[str, Path]:
    """Write codec_benchmark.{json,md,png} into ``out_dir``; return their paths."""
    return write_report_files(
        report, leaderboard_markdown(report), plot_error_vs_stride, out_dir, 'codec_benchmark'
    )

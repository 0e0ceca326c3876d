"""What the benchmarks share to report their results: tables, plots and result files.

Each benchmark writes ``<name>.json`` (the whole report), ``<name>.md`` (its tables) and
``<name>.png`` (its plot) into one folder; the Markdown is what its tool prints.
"""

import json
import platform
from pathlib import Path
from typing import Callable, Dict, Hashable, Iterable, List, Sequence, TypeVar

Item = TypeVar('Item', bound=Hashable)


def in_order(values: Iterable[Item]) -> List[Item]:
    """The distinct values, in order of first appearance (e.g. codec names of result rows)."""
    return list(dict.fromkeys(values))


def software_versions() -> Dict[str, str]:
    """What produced a result: torch, numpy, Python, machine and processor."""
    import numpy as np
    import torch

    return dict(
        torch=torch.__version__,
        numpy=np.__version__,
        python=platform.python_version(),
        machine=platform.machine(),
        processor=platform.processor(),
    )


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table without a trailing newline.

    Args:
        header (Sequence[str]): The column names.
        rows (Iterable[Sequence[str]]): The cells of each row, as text, one per column.

    Returns:
        str: The header line, the separator line and one line per row.
    """
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(cells) + ' |' for cells in rows]
    return '\n'.join(lines)


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend (benchmarks run without a display)."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    return plt


def stride_axes(axis, strides: Sequence[int] = (4, 8, 16)) -> None:
    """Log-log axes over heatmap strides, with a tick at each stride and a light grid."""
    plt = pyplot()
    axis.set(xscale='log', yscale='log', xlabel='heatmap stride (input px per cell)')
    axis.set_xticks(list(strides), [str(stride) for stride in strides])
    axis.xaxis.set_minor_formatter(plt.NullFormatter())
    axis.grid(True, which='both', alpha=0.3)


def write_report_files(
    report: dict, markdown: str, plot: Callable[[dict, Path], None], out_dir: Path, name: str
) -> Dict[str, Path]:
    """Write a benchmark's JSON, Markdown and PNG files.

    Args:
        report (dict): The benchmark's report; tuples are written as lists.
        markdown (str): Its tables.
        plot (Callable): ``plot(report, path)`` draws its figure into ``path``.
        out_dir (Path): The folder; created if missing.
        name (str): The files' stem, e.g. ``'codec_benchmark'``.

    Returns:
        dict: The ``json``, ``markdown`` and ``plot`` paths.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = dict(
        json=out_dir / f'{name}.json', markdown=out_dir / f'{name}.md', plot=out_dir / f'{name}.png'
    )
    paths['json'].write_text(json.dumps(report, indent=1, default=list))
    paths['markdown'].write_text(markdown)
    plot(report, paths['plot'])
    return paths

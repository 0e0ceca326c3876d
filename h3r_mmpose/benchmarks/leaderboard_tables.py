"""Leaderboard rows (written by ``LeaderboardHook``) as Markdown and HTML tables.

One table per dataset, best run first by that dataset's primary metric:
``coco/AP`` if any run reports it, else the first NME-like metric, else the
first metric. Whether lower or higher is better is read from the metric's
name (see :func:`lower_is_better`).
"""

import html
import math
import re
from typing import Any, Dict, List, Optional

from ..engine.hooks.leaderboard_row import Row

# Name tokens of error-like metrics; any other metric (AP, AR, PCK, AUC, ...)
# is taken to be higher-is-better.
LOWER_IS_BETTER_TOKENS = frozenset({'NME', 'FR', 'ERROR', 'EPE', 'MPJPE'})

FIXED_COLUMNS_BEFORE = ('config', 'codec', 'input', 'heatmap', 'params (M)', 'FLOPs (G)')
FIXED_COLUMNS_AFTER = ('date', 'commit')

PAGE_CSS = (
    'body{font-family:sans-serif;margin:2em}'
    'table{border-collapse:collapse;margin-bottom:2em}'
    'th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}'
    'th{background:#f3f3f3}td:first-child,td:nth-child(2)'
    '{text-align:left}'
)


def lower_is_better(metric: str) -> bool:
    """Whether a smaller value of ``metric`` is a better result.

    Args:
        metric (str): E.g. ``'NME'``, ``'wflw_blur/FR@10'``, ``'coco/AP'``.

    Returns:
        bool: True for error-like names (NME, FR, error, EPE, MPJPE).
    """
    tokens = re.split(r'[^A-Z]+', metric.upper())
    return any(token in LOWER_IS_BETTER_TOKENS for token in tokens)


def metric_names(rows: List[Row]) -> List[str]:
    """All metric names of some rows, in order of first appearance.

    Args:
        rows (List[dict]): Leaderboard rows.

    Returns:
        List[str]: Unique metric names.
    """
    names: Dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row.get('metrics') or {}))
    return list(names)


def primary_metric(names: List[str]) -> Optional[str]:
    """The metric a dataset's table is sorted by.

    Args:
        names (List[str]): The dataset's metric names, in column order.

    Returns:
        str, optional: ``coco/AP`` if present, else the first name whose
        last part is NME-like (``NME``, ``nme/NME``, ``NME@...``), else the
        first name; None if there are no metrics.
    """
    if 'coco/AP' in names:
        return 'coco/AP'
    for name in names:
        if name.rsplit('/', 1)[-1].upper().startswith('NME'):
            return name
    return names[0] if names else None


def sort_rows(rows: List[Row], metric: Optional[str]) -> List[Row]:
    """Sort rows best first by ``metric``; rows without it (or NaN) go last.

    Args:
        rows (List[dict]): One dataset's rows.
        metric (str, optional): The primary metric; None keeps the order.

    Returns:
        List[dict]: A new, sorted list (stable for ties).
    """
    if metric is None:
        return list(rows)
    sign = 1.0 if lower_is_better(metric) else -1.0

    def key(row: Row) -> tuple:
        value = (row.get('metrics') or {}).get(metric)
        # NaN would make the order arbitrary: treat it as missing.
        if value is None or not math.isfinite(value):
            return (1, 0.0)
        return (0, sign * value)

    return sorted(rows, key=key)


def group_by_dataset(rows: List[Row]) -> Dict[str, List[Row]]:
    """Group rows by their ``dataset``, datasets in order of first appearance.

    Args:
        rows (List[dict]): Leaderboard rows.

    Returns:
        Dict[str, List[dict]]: Dataset name to its rows, in file order.
    """
    groups: Dict[str, List[Row]] = {}
    for row in rows:
        groups.setdefault(str(row.get('dataset') or 'unknown'), []).append(row)
    return groups


def format_value(value: Any) -> str:
    """Format a table cell: ``-`` for missing, integers plainly, 4 decimals.

    Args:
        value: A number, string or None.

    Returns:
        str: The cell text.
    """
    if value is None:
        return '-'
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f'{value:.4f}'
    return str(value)


def format_size(size: Optional[List[int]]) -> str:
    """Format a (w, h) size as ``'WxH'``; ``-`` if missing."""
    return 'x'.join(str(v) for v in size) if size else '-'


def format_scaled(value: Optional[float], scale: float) -> str:
    """Format a count in millions or billions with 2 decimals."""
    return '-' if value is None else f'{value / scale:.2f}'


def table(rows: List[Row]) -> Dict[str, Any]:
    """Lay out one dataset's rows as header and cell texts, best first.

    Args:
        rows (List[dict]): The rows of one dataset.

    Returns:
        dict: ``header`` (List[str]), ``cells`` (List[List[str]], one list
        per row) and ``primary`` (the sort metric or None).
    """
    names = metric_names(rows)
    primary = primary_metric(names)
    header = list(FIXED_COLUMNS_BEFORE) + names + list(FIXED_COLUMNS_AFTER)
    cells = []
    for row in sort_rows(rows, primary):
        metrics = row.get('metrics') or {}
        cells.append(
            [
                format_value(row.get('config')),
                format_value(row.get('codec')),
                format_size(row.get('input_size')),
                format_size(row.get('heatmap_size')),
                format_scaled(row.get('params'), 1e6),
                format_scaled(row.get('flops'), 1e9),
                *(format_value(metrics.get(name)) for name in names),
                # The day is enough to tell runs apart on a leaderboard.
                format_value(row.get('date'))[:10],
                format_value(row.get('commit')),
            ]
        )
    return {'header': header, 'cells': cells, 'primary': primary}


def _sort_note(primary: Optional[str]) -> str:
    """Say how a table is sorted."""
    if primary is None:
        return 'no metrics'
    order = 'lower' if lower_is_better(primary) else 'higher'
    return f'sorted by {primary}, {order} is better'


def _markdown_cell(text: str) -> str:
    """Escape what would break a Markdown table cell."""
    return text.replace('|', '\\|').replace('\n', ' ')


def render_markdown(rows: List[Row]) -> str:
    """Render rows as Markdown: a heading and a table per dataset.

    Args:
        rows (List[dict]): Leaderboard rows of any datasets.

    Returns:
        str: The Markdown text.
    """
    parts = []
    for dataset, dataset_rows in group_by_dataset(rows).items():
        layout = table(dataset_rows)
        lines = [
            f'## {dataset}',
            '',
            f'_{_sort_note(layout["primary"])}_',
            '',
            '| ' + ' | '.join(map(_markdown_cell, layout['header'])) + ' |',
            '|' + '---|' * len(layout['header']),
        ]
        lines += ['| ' + ' | '.join(map(_markdown_cell, cells)) + ' |' for cells in layout['cells']]
        parts.append('\n'.join(lines))
    return '\n\n'.join(parts) + '\n'


def render_html(rows: List[Row], title: str = 'Leaderboard') -> str:
    """Render rows as a standalone HTML page with the same tables.

    Args:
        rows (List[dict]): Leaderboard rows of any datasets.
        title (str): The page title.

    Returns:
        str: The HTML document; all row text is escaped.
    """
    esc = html.escape
    body = [f'<h1>{esc(title)}</h1>']
    for dataset, dataset_rows in group_by_dataset(rows).items():
        layout = table(dataset_rows)
        body.append(f'<h2>{esc(dataset)}</h2>')
        body.append(f'<p><em>{esc(_sort_note(layout["primary"]))}</em></p>')
        body.append('<table>')
        body.append('<tr>' + ''.join(f'<th>{esc(h)}</th>' for h in layout['header']) + '</tr>')
        for cells in layout['cells']:
            body.append('<tr>' + ''.join(f'<td>{esc(c)}</td>' for c in cells) + '</tr>')
        body.append('</table>')
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        f'<title>{esc(title)}</title>\n<style>{PAGE_CSS}</style>\n'
        '</head>\n<body>\n' + '\n'.join(body) + '\n</body>\n</html>\n'
    )

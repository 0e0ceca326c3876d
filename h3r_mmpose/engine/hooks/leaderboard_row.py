"""The leaderboard row: what :class:`LeaderboardHook` writes per test run, and reading rows back.

A leaderboard is a JSON-lines file, one object per test run, with the keys:

- ``config``: the config file's stem (else the experiment name);
- ``dataset``: the test set's ``dataset_name``;
- ``codec``: the decoder's type and non-size settings, e.g. ``'MSRAHeatmap(sigma=2)'``;
- ``input_size``, ``heatmap_size``: ``[w, h]`` from the decoder config;
- ``params``, ``flops``: the model's size and cost for one image (None if not measured);
- ``metrics``: every numeric test metric, as floats;
- ``date``: ISO 8601 in UTC; ``commit``: short hash of the git HEAD.

``tools/leaderboard.py`` renders the rows as tables
(:mod:`h3r_mmpose.benchmarks.leaderboard_tables`).
"""

import datetime
import json
import logging
import os.path as osp
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

Row = Dict[str, Any]

# Decoder settings shown in the codec column; the sizes have their own columns
# and the rest (e.g. use_udp) are kept in the row's ``codec`` string too.
SIZE_KEYS = ('input_size', 'heatmap_size')


def config_name(cfg_filename: Optional[str], experiment_name: str) -> str:
    """Name a run by its config file's stem, else by its experiment name.

    Args:
        cfg_filename (str, optional): ``runner.cfg.filename``; None when the
            config was built from a dict.
        experiment_name (str): ``runner.experiment_name``.

    Returns:
        str: E.g. ``'td-hm_res18_wflw-256x256'``.
    """
    if cfg_filename:
        return osp.splitext(osp.basename(cfg_filename))[0]
    return experiment_name


def decoder_config(cfg: Mapping) -> Optional[dict]:
    """``cfg.model.head.decoder`` as a plain dict, or None if absent."""
    head = (cfg.get('model') or {}).get('head') or {}
    decoder = head.get('decoder')
    return _plain(decoder) if isinstance(decoder, dict) else None


def describe_codec(decoder_cfg: Optional[dict]) -> Optional[str]:
    """Describe a codec config by its type and non-size settings.

    Args:
        decoder_cfg (dict, optional): E.g. ``dict(type='MSRAHeatmap',
            input_size=(256, 256), heatmap_size=(64, 64), sigma=2)``.

    Returns:
        str, optional: E.g. ``'MSRAHeatmap(sigma=2)'``; None without a
        decoder.
    """
    if not decoder_cfg:
        return None
    settings = ', '.join(
        f'{key}={_plain(value)!r}'
        for key, value in sorted(decoder_cfg.items())
        if key != 'type' and key not in SIZE_KEYS
    )
    return f'{decoder_cfg.get("type", "?")}({settings})'


def codec_size(decoder_cfg: Optional[dict], key: str) -> Optional[Tuple[int, ...]]:
    """Read a size such as ``input_size`` (w, h) from a codec config.

    Args:
        decoder_cfg (dict, optional): The codec config, or None.
        key (str): ``'input_size'`` or ``'heatmap_size'``.

    Returns:
        tuple, optional: The size as a tuple of ints, None if absent.
    """
    if not decoder_cfg or decoder_cfg.get(key) is None:
        return None
    return tuple(int(v) for v in decoder_cfg[key])


def float_metrics(metrics: Mapping[str, Any], logger: logging.Logger) -> Dict[str, float]:
    """Keep the metrics that are numbers, as floats; warn about the rest."""
    floats = {}
    for key, value in metrics.items():
        try:
            floats[key] = float(value)
        except (TypeError, ValueError):
            logger.warning(
                f'LeaderboardHook: metric {key!r} is not a number ({value!r}) and is not recorded'
            )
    return floats


def leaderboard_row(
    config: str,
    dataset: Optional[str],
    decoder_cfg: Optional[dict],
    complexity: Mapping[str, Optional[int]],
    metrics: Dict[str, float],
    commit: str,
) -> Row:
    """Assemble one row, dated now (UTC).

    Args:
        config (str): See :func:`config_name`.
        dataset (str, optional): The test set's name.
        decoder_cfg (dict, optional): The head's decoder config (see :func:`decoder_config`).
        complexity (Mapping): ``params`` and ``flops``, each an int or None.
        metrics (dict): The numeric test metrics (see :func:`float_metrics`).
        commit (str): Short git hash.

    Returns:
        dict: The row, JSON-serialisable, with the keys of the module docstring.
    """
    return {
        'config': config,
        'dataset': dataset,
        'codec': describe_codec(decoder_cfg),
        'input_size': _as_list(codec_size(decoder_cfg, 'input_size')),
        'heatmap_size': _as_list(codec_size(decoder_cfg, 'heatmap_size')),
        'params': complexity['params'],
        'flops': complexity['flops'],
        'metrics': metrics,
        'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        'commit': commit,
    }


def parse_rows(lines: Iterable[str]) -> List[Row]:
    """Parse JSON-lines text into rows, skipping blank lines.

    Args:
        lines (Iterable[str]): The lines of a ``leaderboard.jsonl`` file.

    Returns:
        List[dict]: One dict per non-blank line, in order.
    """
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f'line {number} is not valid JSON: {error}') from error
        if not isinstance(row, dict):
            raise ValueError(f'line {number} must be a JSON object, got {type(row).__name__}')
        rows.append(row)
    return rows


def read_rows(path: str) -> List[Row]:
    """Read a ``leaderboard.jsonl`` file.

    Args:
        path (str): The file to read.

    Returns:
        List[dict]: Its rows, in file order.
    """
    with open(path, encoding='utf-8') as f:
        return parse_rows(f)


def _plain(value: Any) -> Any:
    """Turn ConfigDicts and tuples into JSON-friendly dicts and lists."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _as_list(size: Optional[Tuple[int, ...]]) -> Optional[list]:
    """JSON has no tuples: store sizes as lists."""
    return list(size) if size is not None else None

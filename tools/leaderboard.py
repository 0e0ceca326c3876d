"""Print a leaderboard as Markdown (and optionally write it as HTML).

Usage::

    python tools/leaderboard.py work_dirs/leaderboard.jsonl --html board.html

The rows are those appended by ``LeaderboardHook`` after each test run.
"""

import argparse
from typing import List, Optional

from h3r_mmpose.benchmarks.leaderboard_tables import render_html, render_markdown
from h3r_mmpose.engine.hooks.leaderboard_row import read_rows


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('rows', help='JSON-lines file written by LeaderboardHook')
    parser.add_argument('--html', metavar='OUT.html', help='also write the tables as an HTML page')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    """Print the Markdown tables; write the HTML page if asked."""
    args = parse_args(argv)
    rows = read_rows(args.rows)
    print(render_markdown(rows), end='')
    if args.html:
        with open(args.html, 'w', encoding='utf-8') as f:
            f.write(render_html(rows))


if __name__ == '__main__':
    main()

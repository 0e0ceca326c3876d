"""Which commit produced a result: the checked-out git revision."""

import subprocess
from typing import Optional


def git_commit(cwd: Optional[str] = None) -> str:
    """Short hash of the checked-out commit, or ``'unknown'``.

    Args:
        cwd (str, optional): Directory to ask git in; the current one if
            None.

    Returns:
        str: E.g. ``'1a2b3c4'``; ``'unknown'`` outside a repository, without
        git, or before the first commit.
    """
    try:
        completed = subprocess.run(
            ['git', 'rev-parse', '--short', 'HEAD'],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return 'unknown'
    return completed.stdout.strip() or 'unknown'

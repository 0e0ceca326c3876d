"""The git revision recorded with results."""

import subprocess

from h3r_mmpose.utils.git_info import git_commit


def test_git_commit_outside_a_repository_is_unknown(tmp_path):
    assert git_commit(cwd=str(tmp_path)) == 'unknown'


def test_git_commit_names_the_checked_out_commit(tmp_path):
    def git(*args: str) -> str:
        return subprocess.run(
            ['git', '-C', str(tmp_path), *args], check=True, capture_output=True, text=True
        ).stdout.strip()

    git('init', '-q')
    assert git_commit(cwd=str(tmp_path)) == 'unknown'  # before the first commit
    git(
        '-c',
        'user.name=t',
        '-c',
        'user.email=t@example.com',
        'commit',
        '-q',
        '--allow-empty',
        '-m',
        'x',
    )
    short = git_commit(cwd=str(tmp_path))
    assert len(short) >= 7 and git('rev-parse', 'HEAD').startswith(short)

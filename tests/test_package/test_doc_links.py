"""Every relative link in the project's markdown resolves: the target exists and, for
``file.md#anchor``, a heading of that file has the anchor's GitHub slug."""

import re
from pathlib import Path
from typing import List, Set

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [
    ROOT / 'README.md',
    *sorted((ROOT / 'docs').glob('*.md')),
    *sorted((ROOT / 'configs').rglob('*.md')),
    *sorted((ROOT / 'tools').rglob('*.md')),
]
#: ``[text](target)`` and ``![alt](target)``; the target ends at the first space or ``)``.
LINK = re.compile(r'\]\(([^)\s]+)\)')
FENCE = re.compile(r'^```.*?^```', re.MULTILINE | re.DOTALL)
HEADING = re.compile(r'^#{1,6}\s+(.+?)\s*$', re.MULTILINE)


def prose(path: Path) -> str:
    """The file's text without fenced code blocks (a link there is not a link)."""
    return FENCE.sub('', path.read_text(encoding='utf-8'))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but ``-`` and ``_`` dropped,
    spaces as ``-``."""
    return re.sub(r'[^\w\- ]', '', heading.strip().lower()).replace(' ', '-')


def anchors(path: Path) -> Set[str]:
    return {slug(heading) for heading in HEADING.findall(prose(path))}


def broken_links(path: Path) -> List[str]:
    """The relative links of ``path`` whose file or heading does not exist."""
    broken = []
    for target in LINK.findall(prose(path)):
        if re.match(r'[a-z]+:', target):  # https:, mailto:
            continue
        file_part, _, anchor = target.partition('#')
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(target)
        elif anchor and (linked.suffix != '.md' or anchor not in anchors(linked)):
            broken.append(target)
    return broken


def test_slug_follows_github():
    assert slug('Codec leaderboard') == 'codec-leaderboard'
    assert slug('Without augmentation (the `--no-augment` runs)') == (
        'without-augmentation-the---no-augment-runs'
    )


@pytest.mark.parametrize('path', DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_resolve(path):
    assert broken_links(path) == []

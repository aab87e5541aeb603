"""The Markdown conversion cache (hooks/markdown_cache.py) never serves a stale page.

tests/test_offline_reproducible.py proves that a page served from a warm cache is byte for
byte the page a clean build writes. These prove the other half on a one-page project: what
the key must hold is in it (an edited snippet section reaches the page through a warm
cache), and a conversion that warned is not stored (the next --strict build fails again).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BUILD_ENV, mkdocs_build

pytestmark = pytest.mark.slow

SNIPPET = '# --8<-- [start:part]\ndef part():\n    return "{}"\n# --8<-- [end:part]\n\nOUTSIDE = 1\n'
PAGE = '# Page\n\nThe part:\n\n```python\n--8<-- "snippets/demo.py:part"\n```\n'


def own_snippets(project: Path) -> Path:
    """Replace the mini project's link to the site's snippets with a folder of its own."""
    (project / "snippets").unlink()
    (project / "snippets").mkdir()
    return project / "snippets" / "demo.py"


def stored(project: Path) -> dict:
    """The stored conversions ({} when the build stored none, and so wrote no file)."""
    files = list((project / ".cache" / "markdown").glob("*.json"))
    assert len(files) <= 1, files
    return json.loads(files[0].read_text(encoding="utf-8")) if files else {}


def test_an_edited_snippet_section_reaches_its_page_through_a_warm_cache(mini_project, tmp_path):
    config = mini_project(PAGE)
    project = config.parent
    snippet = own_snippets(project)
    snippet.write_text(SNIPPET.format("alpha"), encoding="utf-8")
    proc = mkdocs_build(config, tmp_path / "a")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "alpha" in (tmp_path / "a" / "page" / "index.html").read_text(encoding="utf-8")
    first = stored(project)
    assert len(first) == 1

    snippet.write_text(SNIPPET.format("beta"), encoding="utf-8")
    proc = mkdocs_build(config, tmp_path / "b")
    assert proc.returncode == 0, proc.stderr[-2000:]
    html = (tmp_path / "b" / "page" / "index.html").read_text(encoding="utf-8")
    assert "beta" in html and "alpha" not in html
    second = stored(project)
    assert len(second) == 1 and second.keys() != first.keys()

    # the same inputs again: the stored conversion is used (the cache is not rewritten)
    before = (project / ".cache" / "markdown").stat().st_mtime_ns, sorted(second)
    proc = mkdocs_build(config, tmp_path / "c")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "c" / "page" / "index.html").read_bytes() == (tmp_path / "b" / "page" / "index.html").read_bytes()
    assert ((project / ".cache" / "markdown").stat().st_mtime_ns, sorted(stored(project))) == before


def test_a_page_that_warned_is_not_stored(mini_project, tmp_path):
    """`make serve` builds without --strict: a broken link warns and the build goes on. Had
    the page been stored, the next --strict build would take it from the cache without
    the warning, and pass."""
    config = mini_project("# Page\n\nSee [the other page](missing.md).\n")
    loose = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--config-file", str(config),
                            "--site-dir", str(tmp_path / "loose")],
                           cwd=config.parent, capture_output=True, text=True, env=BUILD_ENV, check=False)
    assert loose.returncode == 0 and "missing.md" in loose.stderr, loose.stderr[-2000:]
    assert stored(config.parent) == {}
    strict = mkdocs_build(config, tmp_path / "strict")
    assert strict.returncode != 0 and "missing.md" in strict.stderr, strict.stderr[-2000:]

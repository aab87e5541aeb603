"""Shared fixtures: the site built once per test session, and helpers to build variants."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _source_date_epoch() -> str:
    """The build date every test build uses: the last commit's time (as `make` sets it).

    MkDocs writes the build date into sitemap.xml; without a fixed date two builds on
    either side of midnight differ. A fixed fallback where git is missing.
    """
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return os.environ["SOURCE_DATE_EPOCH"]
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True,
                             check=False).stdout.strip()
    except OSError:
        out = ""
    return out if out.isdigit() else "1700000000"


BUILD_ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": _source_date_epoch()}


def mkdocs_build(config: Path, site_dir: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config),
         "--site-dir", str(site_dir)],
        cwd=config.parent, capture_output=True, text=True, env={**BUILD_ENV, **env}, check=False,
    )


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory) -> Path:
    """The real site, built with --strict into a temporary directory."""
    out = tmp_path_factory.mktemp("site")
    proc = mkdocs_build(ROOT / "mkdocs.yml", out)
    if proc.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{proc.stderr[-5000:]}")
    return out


@pytest.fixture
def mini_project(tmp_path) -> callable:
    """Make a one-page copy of the site's configuration around the given page text."""

    def make(page_text: str, name: str = "page.md") -> Path:
        config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
        config = config[: config.index("\nnav:")] + f"\nnav:\n  - {name}\n"
        (tmp_path / "mkdocs.yml").write_text(config, encoding="utf-8")
        (tmp_path / "docs" / "assets").mkdir(parents=True)
        (tmp_path / "docs" / name).write_text(page_text, encoding="utf-8")
        (tmp_path / "docs" / "assets" / "site.css").write_text("", encoding="utf-8")
        for folder in ("hooks", "includes", "snippets", "overrides"):
            (tmp_path / folder).symlink_to(ROOT / folder, target_is_directory=True)
        (tmp_path / "CONTRIBUTING.md").symlink_to(ROOT / "CONTRIBUTING.md")
        return tmp_path / "mkdocs.yml"

    return make


def html_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.name != "print_page.html")


def strip_code(html: str) -> str:
    """HTML without <pre>, <code>, <script> and <style> elements."""
    return re.sub(r"<(pre|code|script|style)\b.*?</\1>", "", html, flags=re.DOTALL | re.IGNORECASE)

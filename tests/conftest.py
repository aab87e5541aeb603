"""Shared fixtures: the site built once per test run, and helpers to build variants.

The suite runs in parallel (pytest-xdist, `-n auto` in pyproject.toml). Every worker
that needs the built site waits for the same build: the first one to ask builds it
under a file lock in the run's shared temporary folder, the others read its result.
The build starts in the background as soon as a worker begins, so the snippet and
page tests run while it builds.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
import threading
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


def shared_tmp(tmp_path_factory) -> Path:
    """A folder every worker of this run sees (pytest-xdist's documented pattern: the
    workers' temporary folders sit side by side in the run's own)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


class SharedBuild:
    """The real site, built with --strict once per run, whichever worker asks first.

    The lock is an flock on a file in the run's shared folder: it is held for the whole
    build, so a second caller (another worker, or another thread here) blocks until the
    result is written, then reads it."""

    def __init__(self, folder: Path):
        self.site = folder / "site"
        self.lock = folder / "site.lock"
        self.result = folder / "site.result.json"
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Build in a background thread (the build itself is a subprocess)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._ensure, name="site build", daemon=True)
            self._thread.start()

    def _ensure(self) -> dict:
        with open(self.lock, "w") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            if not self.result.exists():
                proc = mkdocs_build(ROOT / "mkdocs.yml", self.site)
                self.result.write_text(json.dumps({"returncode": proc.returncode, "stderr": proc.stderr[-5000:]}))
            return json.loads(self.result.read_text())

    def get(self) -> Path:
        result = self._ensure()
        if result["returncode"] != 0:
            pytest.fail(f"mkdocs build --strict failed:\n{result['stderr']}")
        return self.site


@pytest.fixture(scope="session")
def shared_build(tmp_path_factory) -> SharedBuild:
    return SharedBuild(shared_tmp(tmp_path_factory))


@pytest.fixture(scope="session", autouse=True)
def _start_the_build_early(request, shared_build):
    """If any selected test needs the site, start building it now, in the background."""
    if any("site_dir" in getattr(item, "fixturenames", ()) for item in request.session.items):
        shared_build.start()


@pytest.fixture(scope="session")
def site_dir(shared_build) -> Path:
    """The real site, built with --strict into a temporary directory (once per run)."""
    return shared_build.get()


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


# --- order: the longest tests first, so that no worker is left with one at the end ----

SLOW_FIRST = ("tests/test_print.py::test_print_page_prints_to_pdf", "tests/test_offline_reproducible.py",
              "docs/notebooks/", "tests/test_browser.py")


def pytest_collection_modifyitems(session, config, items):
    """Start the known long tests first (the PDF print, the clean builds, the notebooks,
    the browser pages); the many short tests then fill in around them. The order of
    tests within a file is kept."""
    def rank(item):
        for i, prefix in enumerate(SLOW_FIRST):
            if item.nodeid.startswith(prefix):
                return i
        return len(SLOW_FIRST)

    items.sort(key=rank)  # stable: the order within each rank is the collection order

"""Collect every page under docs/ as a test: its Python code blocks run in page order."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "snippets"))

from markdown_code import expand, python_blocks, run_page  # noqa: E402


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".md" and (ROOT / "docs") in file_path.parents:
        return MarkdownPage.from_parent(parent, path=file_path)
    return None


class MarkdownPage(pytest.File):
    def collect(self):
        text = expand(self.path.read_text(encoding="utf-8"))
        if python_blocks(text):
            yield PageCode.from_parent(self, name="code blocks", text=text)


class PageCode(pytest.Item):
    def __init__(self, *, text: str, **kwargs):
        super().__init__(**kwargs)
        self.text = text

    def runtest(self):
        run_page(self.text, self.path.relative_to(ROOT).as_posix())

    def reportinfo(self):
        return self.path, None, f"{self.path.relative_to(ROOT).as_posix()}: code blocks"

    def repr_failure(self, excinfo):
        return f"{self.path.relative_to(ROOT).as_posix()}: a code block failed\n" + str(
            excinfo.getrepr(style="short", chain=False))

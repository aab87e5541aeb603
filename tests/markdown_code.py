"""Expand a page's `--8<--` includes the way the site does, and run its Python blocks.

Used by the root conftest.py (one test per page) and by the negative tests.
"""

from __future__ import annotations

import functools
import linecache
import os
import re
import textwrap
from pathlib import Path

import markdown

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
RUNNABLE = {"python", "py"}


@functools.cache
def snippets_config() -> dict:
    """The pymdownx.snippets settings of mkdocs.yml, as mkdocs resolves them."""
    from mkdocs.config import load_config

    config = load_config(str(ROOT / "mkdocs.yml"))
    settings = dict(config["mdx_configs"]["pymdownx.snippets"])
    settings["base_path"] = [os.fspath(p) for p in settings["base_path"]]
    return settings


def expand(text: str, settings: dict | None = None) -> str:
    """Return `text` with every `--8<--` include expanded (missing files raise)."""
    md = markdown.Markdown(
        extensions=["pymdownx.snippets"],
        extension_configs={"pymdownx.snippets": settings or snippets_config()},
    )
    return "\n".join(md.preprocessors["snippet"].run(text.split("\n")))


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(first line number, dedented code) of every ```python / ```py fence, in page order."""
    blocks, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m.group("indent"), m.group("fence"), m.group("info").strip()
        lang = info.lstrip("{").lstrip(".").split()[0].rstrip("}") if info else ""
        body, j = [], i + 1
        while j < len(lines):
            close = FENCE.match(lines[j])
            if close and close.group("fence")[0] == fence[0] and len(close.group("fence")) >= len(fence) \
                    and not close.group("info").strip():
                break
            body.append(lines[j])
            j += 1
        if lang in RUNNABLE:
            code = "\n".join(line[len(indent):] if line.startswith(indent) else line.lstrip() for line in body)
            blocks.append((i + 2, textwrap.dedent(code)))
        i = j + 1
    return blocks


def run_page(text: str, name: str) -> dict:
    """Execute the Python blocks of an (already expanded) page in one namespace, in order."""
    namespace: dict = {"__name__": "__page__"}
    for lineno, code in python_blocks(text):
        filename = f"{name} (block at expanded line {lineno})"
        linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
        exec(compile(code, filename, "exec"), namespace)
    return namespace

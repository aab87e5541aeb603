"""Reuse a page's Markdown-to-HTML conversion when nothing it is computed from changed.

Converting the Markdown pages is half of a rebuild (Pygments alone colours about 480 code
blocks), and `make serve` rebuilds the whole site after every save. This hook keeps each
page's conversion in the build cache (build_cache.py, under .cache/markdown/) and hands
it back when the page is built again from the same inputs, so a save converts only the
page it changed, or the pages that include the snippet it changed.

What a conversion depends on, and so what its key holds:
- the page's Markdown (after every other on_page_markdown), and the same Markdown with
  pymdownx.snippets' includes expanded by the site's own snippets settings: a changed
  snippet, section of a snippet or auto-appended file changes the key of exactly the
  pages that include it;
- the page's own path, and the path, URL and inclusion of every file of the site
  (MkDocs resolves and checks links against them);
- the Markdown settings, MkDocs' link validation settings, this file, and the versions
  of MkDocs, Python-Markdown, pymdown-extensions and Pygments (the namespace: a change to
  any of them starts afresh).

What MkDocs keeps from a conversion besides the HTML (the table of contents, the title
taken from the first heading, the anchors the page has and the anchors it links to) is
stored with it and put back, so the theme, the search index and MkDocs' anchor checks
see the same page. A conversion that logged a warning (a broken link, say) is never
stored: it is converted, and warns, every time, as --strict needs.

How a stored conversion is used: on_page_markdown (last of all) finds it and hands MkDocs
an empty page to convert; on_page_content (first of all) puts the stored HTML back
before any other hook sees the content. tests/test_offline_reproducible.py builds with a
warm cache and compares every byte with a clean build; tests/test_markdown_cache.py checks
that an edited snippet reaches its page through a warm cache and that a warning is not
cached.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import build_cache
import markdown
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

# What Page.render sets besides page.content; if MkDocs renames one, fail here, not by
# building pages without a title or anchors.
for _name in ("toc", "_title_from_render", "present_anchor_ids", "links_to_anchors"):
    if _name not in Page.__init__.__code__.co_names + Page.render.__code__.co_names:
        raise PluginError(f"markdown_cache hook: mkdocs.structure.pages.Page no longer sets {_name}; "
                          "update the hook for this MkDocs version or remove it from mkdocs.yml")

_table: build_cache.Table | None = None
_snippets = None       # pymdownx.snippets' preprocessor, set up as the site's config sets it
_hits: dict[str, dict] = {}
_misses: dict[str, tuple[str, "_Warned"]] = {}


class _Warned(logging.Handler):
    """Notes whether anything logged a warning while one page was converted."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.seen = False

    def emit(self, record):
        self.seen = True


_LOGGERS = (logging.getLogger(), logging.getLogger("mkdocs"), logging.getLogger("MARKDOWN"))


def _cacheable(page) -> bool:
    return page.file.src_uri.endswith(".md") and page.file.generated_by is None


def on_pre_build(config) -> None:
    global _table, _snippets
    _table = None
    for _, warned in _misses.values():  # left by a build that failed part-way (make serve goes on)
        for logger in _LOGGERS:
            logger.removeHandler(warned)
    _hits.clear()
    _misses.clear()
    md = markdown.Markdown(extensions=["pymdownx.snippets"],
                          extension_configs={"pymdownx.snippets": config["mdx_configs"].get("pymdownx.snippets", {})})
    _snippets = md.preprocessors["snippet"]


def _plain(value) -> str:
    """A setting that JSON cannot write, as text that is the same in every build."""
    if isinstance(value, os.PathLike):  # !relative $config_dir
        return os.fspath(value)
    text = repr(value)
    if " at 0x" in text:
        raise PluginError(f"markdown_cache hook: the setting {text} has no stable text to key the cache by")
    return text


def _namespace(config, files) -> str:
    settings = json.dumps([config["markdown_extensions"], config["mdx_configs"], dict(config["validation"]),
                           config["use_directory_urls"]], sort_keys=True, default=_plain)
    return build_cache.digest(
        Path(__file__).read_bytes(), settings,
        build_cache.versions("mkdocs", "markdown", "pymdown-extensions", "pygments"),
        json.dumps(sorted((f.src_uri, f.url, f.inclusion.name) for f in files)),
    )


@event_priority(-100)  # after every other plugin has had the Markdown
def on_page_markdown(text: str, page, config, files) -> str:
    global _table
    if not _cacheable(page):
        return text
    if _table is None:
        folder = build_cache.root(config)
        _table = build_cache.Table(folder / "markdown" if folder else None, _namespace(config, files))
    try:
        expanded = "\n".join(_snippets.run(text.split("\n")))
    except Exception:  # noqa: BLE001 - a missing snippet: the real conversion reports it
        return text
    key = build_cache.digest(page.file.src_uri, text, expanded)
    stored = _table.get(key)
    if stored is not None:
        _hits[page.file.src_uri] = stored
        return ""
    warned = _Warned()
    for logger in _LOGGERS:
        logger.addHandler(warned)
    _misses[page.file.src_uri] = (key, warned)
    return text


def _toc_tokens(items) -> list[dict]:
    return [{"name": i.title, "id": i.id, "level": i.level, "children": _toc_tokens(i.children)} for i in items]


@event_priority(100)  # before any other hook or plugin reads the content
def on_page_content(content: str, page, config, files) -> str:
    uri = page.file.src_uri
    if uri in _hits:
        stored = _hits.pop(uri)
        if content:
            raise PluginError(f"markdown_cache hook: the empty page {uri} converted to {content[:80]!r}")
        page.toc = get_toc(stored["toc"])
        page._title_from_render = stored["title"]
        page.present_anchor_ids = set(stored["anchors"])
        page.links_to_anchors = {files.get_file_from_path(target): links
                                 for target, links in stored["links"].items()}
        return stored["html"]
    if uri in _misses:
        key, warned = _misses.pop(uri)
        for logger in _LOGGERS:
            logger.removeHandler(warned)
        # links_to_anchors is None when MkDocs logs at debug level: nothing to store then
        if not warned.seen and page.links_to_anchors is not None:
            _table.put(key, {
                "html": content,
                "toc": _toc_tokens(page.toc),
                "title": page._title_from_render,
                "anchors": sorted(page.present_anchor_ids or ()),
                "links": {f.src_uri: links for f, links in page.links_to_anchors.items()},
            })
    return content


def on_post_build(config) -> None:
    if _table is not None:
        _table.save()

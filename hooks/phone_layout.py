"""On a phone, lay out only the part of a long page that is near the screen.

A long page here holds 15-28 thousand elements, most of them KaTeX's, and a phone spends
most of its start-up styling and laying out all of them (Lighthouse mobile: total blocking
time 220-330 ms on the longest pages). docs/assets/site.css gives the top-level blocks of
the article that come after the first screens ``content-visibility: auto`` on phone-wide
screens: the browser skips their style and layout until the reader scrolls near them. The
text stays in the page (find in page, screen readers and print see all of it).

A skipped block takes the height given in its ``--later`` property until it is shown.
This hook computes that height from the block's HTML as an upper bound of the real one on
the narrowest phone (320 px): lines of text at a conservative 30 characters, formulas
weighted double, code blocks by their line count, the displayed formulas' exact heights
from hooks/katex.py, tables row by row, the tallest tab of a tab set, only the summary of
a closed <details>. It must be an upper bound: a block drawn taller than its placeholder
would overlap the next one while skipped, and accessibility checkers (axe-core, hence
Lighthouse) then misread colours and tap-target spacing on the page. Once shown, a block
keeps its real height (``auto``). Headings are never skipped, so links to them land right.

Blocks are marked only after about 140 em (an upper bound, at 320 px) of content: the
first screen of any phone is drawn in full, so nothing on it moves when the skipped
blocks are measured. tests/test_browser.py lays out every marked block on 320 to 479 px
screens and checks both: each placeholder is at least the block's real height, and the
first marked block starts below the first screen.

The first screens are also painted whole: a browser paints what it has parsed so far when
the parser yields (a slow network, a busy phone), and a formula painted half-parsed moved
as the rest of it arrived (it is centred) - a layout shift measured on four of the long
pages under load. The page asks, in its head, that rendering wait until the parser has
reached the first marked block (``<link rel="expect" blocking="render">``, HTML's own
mechanism for this); what follows it starts below the first screen, where growing moves
nothing the reader sees. A browser without rel="expect" ignores the link.

Notebook pages (one block each) and the print page are left as they are.

Reading the blocks is most of this hook's time; rebuilds reuse the blocks of an article
that did not change, from the build cache (build_cache.py), keyed by the article and
namespaced by this file.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from html.parser import HTMLParser

import build_cache
from mkdocs.exceptions import PluginError

ARTICLE = '<article class="md-content__inner md-typeset">'
CHARS_PER_LINE = 30   # characters of running text per line across the column at 320 px
LINE_EM = 1.6         # the theme's line height
START_EM = 140        # content (upper bound, in em) drawn in full before blocks are marked
EM_PER_REM = 0.8      # the theme's text is 0.8 rem; --later is written in rem

VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
INLINE = {"a", "abbr", "b", "code", "em", "i", "kbd", "mark", "small", "span", "strong", "sub", "sup", "var"}
TEXT_BLOCKS = {"dd", "dt", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "label", "li", "p", "summary"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
DISPLAY_HEIGHT = re.compile(r"contain-intrinsic-size:auto ([\d.]+)em")


class _Box:
    """An element being read: its text not yet broken into lines, and the height so far."""

    __slots__ = ("tag", "classes", "width", "chars", "em", "cells", "tabs", "lines", "closed")

    def __init__(self, tag: str, classes: list[str], width: float, closed: bool = False):
        self.tag, self.classes, self.width, self.closed = tag, classes, width, closed
        self.chars = self.em = 0.0
        self.cells: list[_Box] = []
        self.tabs: list[float] = []
        self.lines = 0

    def flush(self) -> None:
        if self.chars:
            self.em += math.ceil(self.chars / (CHARS_PER_LINE * self.width)) * LINE_EM
            self.chars = 0.0

    def height(self) -> float:
        self.flush()
        if self.tag == "pre":  # code does not wrap: 1.4 lines of 0.85 em each, plus padding
            return (self.lines + 1) * 1.25 + 2
        h = self.em
        if "tabbed-content" in self.classes:
            h += max(self.tabs or [0.0])
        if "tabbed-labels" in self.classes:
            h = 3.0
        if self.tag in TEXT_BLOCKS:
            h += 1.0
        if self.tag in ("blockquote", "details", "dl", "ol", "table", "ul") or "admonition" in self.classes:
            h += 2.0
        return h


class _Blocks(HTMLParser):
    """The top-level elements of an article, each with an upper bound of its height in em."""

    def __init__(self, article: str):
        super().__init__(convert_charrefs=True)
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", article)]
        self.stack = [_Box("article", [], 1.0)]
        self.hidden = 0  # depth inside content that takes no room (MathML, displayed formulas)
        self.top: list[tuple[int, str, str, _Box | float]] = []
        self.feed(article)
        self.close()

    def _position(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if self.hidden:
            self.hidden += tag not in VOID
            return
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        parent = self.stack[-1]
        if "katex-mathml" in classes:
            self.hidden = 1
            return
        if tag == "div" and "arithmatex" in classes:  # its exact height is already known
            found = DISPLAY_HEIGHT.search(attributes.get("style") or "")
            height = float(found.group(1)) if found else 5.0
            parent.flush()
            parent.em += height
            if len(self.stack) == 1:
                self.top.append((self._position(), self.get_starttag_text(), tag, height))
            self.hidden = 1
            return
        if tag in VOID:
            if tag == "br":
                parent.flush()
                parent.em += LINE_EM
            elif tag == "hr":
                parent.em += 2.5
            elif tag == "img":
                parent.em += 20
            return
        if "katex" in classes:
            parent.chars += 6  # an inline formula wraps as one word
        if tag == "code":
            parent.chars += 8  # so does a name in code
        width = parent.width
        if tag in ("blockquote", "dd", "ol", "ul"):
            width -= 0.12
        if tag == "details" or "admonition" in classes:
            width -= 0.1
        box = _Box(tag, classes, max(width, 0.1), closed=tag == "details" and "open" not in attributes)
        if tag not in INLINE:
            parent.flush()
        if len(self.stack) == 1:
            self.top.append((self._position(), self.get_starttag_text(), tag, box))
        self.stack.append(box)

    def handle_endtag(self, tag):
        if self.hidden:
            self.hidden -= tag not in VOID
            return
        if tag in VOID:
            return
        while len(self.stack) > 1:
            box = self.stack.pop()
            self._finish(box, self.stack[-1])
            if box.tag == tag:
                break

    def _finish(self, box: _Box, parent: _Box) -> None:
        if box.tag in ("td", "th"):
            parent.cells.append(box)
        elif box.tag == "tr":  # each cell wraps in its share of the row's width; the tallest counts
            for cell in box.cells:
                cell.width /= len(box.cells)
            parent.em += max([cell.height() + 0.8 for cell in box.cells], default=0.0) + 1
        elif "tabbed-block" in box.classes:
            parent.tabs.append(box.height())
        elif box.tag in INLINE:
            parent.chars += box.chars
            parent.em += box.em
        elif not parent.closed or box.tag == "summary":
            parent.em += box.height()

    def handle_data(self, data):
        if self.hidden:
            return
        for box in reversed(self.stack):
            if box.tag == "pre":
                box.lines += data.count("\n")
                return
        length = len(" ".join(data.split()))
        if not length:
            return
        weight = 1.0
        for box in reversed(self.stack):
            if "katex-html" in box.classes:
                weight = 2.0  # math letters are wider and set larger than text
                break
            if box.tag == "code":
                weight = 1.2
                break
        self.stack[-1].chars += length * weight


def blocks(article: str) -> list[tuple[int, str, str, float]]:
    """(offset of the start tag, the start tag, tag name, height upper bound in em) of each
    top-level element of an article's inner HTML."""
    parsed = _Blocks(article)
    return [(at, start, tag, box if isinstance(box, float) else box.height()) for at, start, tag, box in parsed.top]


FIRST_LATER = "first-later"  # the id of the first marked block, which rendering waits for
EXPECT = f'<link rel="expect" href="#{FIRST_LATER}" blocking="render">'


def mark(article: str, found: list | None = None) -> tuple[str, int]:
    """The article with its blocks after the first START_EM marked, the first of them with
    the id FIRST_LATER; and how many were marked. `found`: the article's blocks() if known."""
    parts, last, above, marked = [], 0, 0.0, 0
    for at, start, tag, em in blocks(article) if found is None else found:
        skippable = tag not in HEADINGS and not (tag == "div" and 'class="arithmatex"' in start)
        if skippable and above >= START_EM:
            if article[at:at + len(start)] != start:
                raise PluginError(f"phone_layout hook: lost track of the markup at {start[:80]!r}")
            if "style=" in start or " id=" in start or not start.endswith(">") or start.endswith("/>"):
                raise PluginError(f"phone_layout hook: cannot mark {start[:80]!r}")
            first = "" if marked else f' id="{FIRST_LATER}"'
            parts += [article[last:at], f'{start[:-1]}{first} data-later style="--later:{em * EM_PER_REM:.1f}rem">']
            last = at + len(start)
            marked += 1
        above += em
    parts.append(article[last:])
    return "".join(parts), marked


_cache: build_cache.Table | None = None


def on_pre_build(config) -> None:
    global _cache
    folder = build_cache.root(config)
    _cache = build_cache.Table(folder / "phone-layout" if folder else None,
                               build_cache.digest(Path(__file__).read_bytes()))


def on_post_page(output: str, page, config) -> str:
    if page.file.src_uri.endswith(".ipynb") or page.file.src_uri.startswith("print_page"):
        return output
    begin = output.find(ARTICLE)
    if begin < 0:
        raise PluginError(f"phone_layout hook: no {ARTICLE} in {page.file.src_uri}; the theme changed")
    begin += len(ARTICLE)
    end = output.index("</article>", begin)
    inner = output[begin:end]
    key = build_cache.digest(inner)
    found = _cache.get(key)
    if found is None:
        found = blocks(inner)
        _cache.put(key, found)
    article, marked = mark(inner, [tuple(block) for block in found])
    output = output[:begin] + article + output[end:]
    if not marked:
        return output
    head = output.find("<link rel=\"stylesheet\"")
    if head < 0 or head > begin:
        raise PluginError(f"phone_layout hook: no stylesheet link in the head of {page.file.src_uri}")
    return output[:head] + EXPECT + output[head:]


def on_post_build(config) -> None:
    _cache.save()

"""The site builds with --strict, renders every formula, and loads nothing from another host."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

from conftest import ROOT, html_pages, strip_code

# <link rel=...> values that make the browser fetch something.
FETCHING_RELS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "prefetch",
                 "modulepreload", "manifest", "preconnect", "dns-prefetch", "mask-icon"}


class LoadedURLs(HTMLParser):
    """Collect every URL an HTML page makes the browser load (not prose links)."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and FETCHING_RELS & set((a.get("rel") or "").lower().split()):
            self.urls.append(a.get("href") or "")
        for attr in ("src", "data", "poster"):
            if tag in {"script", "img", "iframe", "source", "video", "audio", "embed", "object", "track",
                       "input"} and a.get(attr):
                self.urls.append(a[attr])
        if a.get("srcset"):
            self.urls += [part.split()[0] for part in a["srcset"].split(",") if part.strip()]
        if a.get("style"):
            self.urls += css_urls(a["style"])


def css_urls(css: str) -> list[str]:
    return re.findall(r"url\(\s*['\"]?([^'\")]+)", css) + re.findall(r"@import\s+['\"]([^'\"]+)", css)


def is_remote(url: str) -> bool:
    parsed = urlparse(url.strip())
    return bool(parsed.netloc) or parsed.scheme not in ("", "data", "blob")


def test_strict_build_produces_every_nav_page(site_dir: Path):
    assert (site_dir / "index.html").exists()
    assert (site_dir / "affine-layer" / "index.html").exists()
    assert (site_dir / "assets" / "katex" / "katex.min.css").exists()
    assert (site_dir / "assets" / "katex" / "fonts" / "KaTeX_Main-Regular.woff2").exists()


def test_nothing_is_loaded_from_another_host(site_dir: Path):
    offenders = []
    for page in html_pages(site_dir):
        parser = LoadedURLs()
        parser.feed(page.read_text(encoding="utf-8"))
        for style in re.findall(r"<style\b[^>]*>(.*?)</style>", page.read_text(encoding="utf-8"), re.DOTALL):
            parser.urls += css_urls(style)
        offenders += [f"{page.relative_to(site_dir)}: {u}" for u in parser.urls if is_remote(u)]
    for sheet in site_dir.rglob("*.css"):
        offenders += [f"{sheet.relative_to(site_dir)}: {u}" for u in css_urls(sheet.read_text(encoding="utf-8"))
                      if is_remote(u)]
    assert not offenders, "remote resources:\n" + "\n".join(offenders)


def test_the_checker_sees_remote_resources():
    parser = LoadedURLs()
    parser.feed('<link rel="stylesheet" href="https://cdn.example/x.css"><script src="//cdn.example/k.js">'
                '</script><img src="pic.png"><a href="https://cited.example/">a citation</a>'
                '<link rel="canonical" href="https://site.example/">')
    assert [u for u in parser.urls if is_remote(u)] == ["https://cdn.example/x.css", "//cdn.example/k.js"]
    assert css_urls("@font-face{src:url(https://fonts.example/f.woff2)}") == ["https://fonts.example/f.woff2"]


def test_every_formula_is_typeset(site_dir: Path):
    """No TeX delimiter survives outside code, and every formula carries MathML."""
    leftovers = []
    for page in html_pages(site_dir):
        html = page.read_text(encoding="utf-8")
        text = strip_code(html)
        text = re.sub(r"<annotation\b.*?</annotation>", "", text, flags=re.DOTALL)
        for pattern in (r"\\\(", r"\\\[", r"\$\$", r'class="arithmatex">\\'):
            if re.search(pattern, text):
                leftovers.append(f"{page.relative_to(site_dir)}: {pattern}")
        assert html.count('class="katex"') == html.count('class="katex-mathml"'), page
    assert not leftovers, "raw TeX left in:\n" + "\n".join(leftovers)


def test_pages_with_math_have_math(site_dir: Path):
    affine = (site_dir / "affine-layer" / "index.html").read_text(encoding="utf-8")
    assert affine.count('class="katex"') >= 3
    assert "<math" in affine  # MathML for screen readers


def test_no_third_party_file_is_committed():
    committed = [p for p in (ROOT / "docs").rglob("*") if p.suffix in {".woff", ".woff2", ".ttf", ".js"}
                 or p.name.startswith("katex")]
    assert not committed, committed


# --- the build cache: executed notebooks are keyed by the snippets they import ------------

def load_hook(name: str):
    """A hook module loaded the way MkDocs loads it (its folder on sys.path meanwhile)."""
    import importlib.util
    import sys

    path = ROOT / "hooks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_test_hook_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


def test_notebooks_are_keyed_by_every_snippet_they_import():
    import ast

    from test_notebooks import NOTEBOOKS, code_of, imported_snippets, read

    hook = load_hook("notebooks")
    found = {p.stem for p in hook.notebook_snippets(NOTEBOOKS, ROOT / "snippets")}
    direct = set().union(*(imported_snippets(ast.parse(code_of(read(nb)))) for nb in NOTEBOOKS))
    assert direct and direct <= found, (direct, found)
    assert found < {p.stem for p in (ROOT / "snippets").glob("*.py")}, "a snippet no notebook imports is in the key"


def test_notebook_keys_follow_imports_between_snippets_and_fall_back_to_every_snippet(tmp_path):
    import nbformat

    hook = load_hook("notebooks")
    snippets = tmp_path / "snippets"
    snippets.mkdir()
    (snippets / "a.py").write_text("import numpy as np\nfrom b import f\n")
    (snippets / "b.py").write_text("def f():\n    return 1\n")
    (snippets / "c.py").write_text("")

    def notebook(code: str) -> Path:
        path = tmp_path / f"nb{len(list(tmp_path.glob('*.ipynb')))}.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]), path)
        return path

    assert [p.stem for p in hook.notebook_snippets([notebook("%matplotlib inline\nimport a")], snippets)] == ["a", "b"]
    assert [p.stem for p in hook.notebook_snippets([notebook("x = (")], snippets)] == ["a", "b", "c"]


def test_the_search_index_reads_code_blocks_the_same_without_their_spans(site_dir: Path):
    """hooks/katex.py hands the search plugin its pages' code blocks without Pygments' spans
    (parsing them was most of the search plugin's time, a fifth of a warm build). Every code
    block of the built site, read by the theme's own search parser with and without its
    spans, gives the same text."""
    from material.plugins.search.plugin import Parser

    hook = load_hook("katex")

    def read(html: str) -> list[tuple[str, str]]:
        parser = Parser()
        parser.feed(html)
        parser.close()
        return [("".join(s.title), "".join(s.text)) for s in parser.data]

    blocks = {m.group() for page in html_pages(site_dir) if page.parent.name != "print_page"
              for m in hook.CODE_BLOCK.finditer(page.read_text(encoding="utf-8"))}
    assert len(blocks) > 300 and any("<span" in b for b in blocks), len(blocks)
    differ = [b[:200] for b in blocks if read(hook.BARE_SPAN.sub("", b)) != read(b)]
    assert not differ, differ[:3]
    assert hook.BARE_SPAN.sub("", '<pre><span class="k">def</span> <span>f</span></pre>') == "<pre>def f</pre>"

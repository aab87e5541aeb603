"""Markup fixes for mkdocs-material and mkdocs-print-site that configuration and CSS cannot make.

1. The repository link in the header carries data-md-component="source", which makes
   the theme's script ask api.github.com for stars and forks: a third-party request
   from every page. The hook drops the attribute; the link stays a plain link.
2. The search overlay is a role="dialog" without an accessible name (axe:
   aria-dialog-name). The hook names it.
3. Every page ends with a "Report an error on this page" link to a new issue,
   prefilled with the page's source path.
4. The print page (print-site plugin) is assembled from each page's HTML as it was
   when the plugin saw it, before math and notebook clean-up: the hook hands it the
   finished content, and applies fixes 1 and 2 to the print page, which the plugin
   writes itself.
5. The print-site plugin adds its two stylesheets and its script to every page, but
   they only style and script the print page: on the other pages they were three
   render-blocking requests for nothing. The hook keeps them on the print page only.
6. Code blocks get their copy button (and, when they scroll sideways, tabindex="0" so
   the keyboard can scroll them) only once scrolled into view (feature content.lazy,
   which keeps page load fast). So that a keyboard user can still reach a wide code
   block further down, every code block starts focusable; once shown, the theme keeps
   tabindex only where the block really scrolls (axe: scrollable-region-focusable).
7. The theme's script wraps every table in a scroll box after load, which moved
   the content below it (layout shift). The build wraps them in the same markup; the
   script still adds its wrapper inside, which docs/assets/site.css makes a no-op.
   The scroll box is focusable, so that a table wider than a phone can be scrolled
   from the keyboard (axe: scrollable-region-focusable).
8. The print-site plugin renames heading ids with a regex that rescans each line from
   every tag: quadratic in line length, and KaTeX writes each formula as one long line,
   so the build hung for minutes. The hook swaps in a linear regex with the same result.
9. The theme's palette stylesheet stops transitions under body[data-md-color-switching],
   an attribute its script sets and removes at every page load, restyling every element
   twice. The rule is pointed at the class md-palette-switching, which
   overrides/main.html sets only while the reader switches palettes.

Each fix fails the build if the markup it expects is gone, so a theme update cannot
silently undo it.
"""

import re
from pathlib import Path
from urllib.parse import quote

import mkdocs_print_site_plugin.urls as print_site_urls
from mkdocs.exceptions import PluginError

FIXES = [
    ('class="md-source" data-md-component="source"', 'class="md-source"'),
    ('<div class="md-search" data-md-component="search" role="dialog">',
     '<div class="md-search" data-md-component="search" role="dialog" aria-label="Search the site">'),
]


def _fix(output: str, where: str) -> str:
    if 'class="md-header' not in output:  # not a theme page
        return output
    for old, new in FIXES:
        if old not in output:
            raise PluginError(f"theme hook: expected markup {old!r} not found in {where}; "
                              "the theme changed, update hooks/theme.py")
        output = output.replace(old, new)
    return output


def on_page_content(content: str, page, config, files) -> str:
    if page.file.src_uri.startswith("print_page") or not config["repo_url"]:
        return content
    path = f"docs/{page.file.src_uri}"
    title = quote(f"Error on {path}")
    body = quote(f"Page: {path}\nURL: {page.canonical_url or page.url}\n\nWhat is wrong, and what should it say?\n")
    url = f"{config['repo_url'].rstrip('/')}/issues/new?title={title}&body={body}"
    return content + f'\n<p class="report-error"><a href="{url}">Report an error on this page</a></p>\n'


def on_env(env, config, files):
    for file in files.documentation_pages():
        page = file.page
        if page is not None and hasattr(page, "html") and page.content is not None:
            page.html = page.content
    return env


PRINT_SITE_ASSETS = re.compile(
    r'<link rel="stylesheet" href="[^"]*css/print-site(?:-material)?\.css">'
    r'|<script src="[^"]*js/print-site\.js"></script>'
)


def _drop_print_site_assets(output: str, where: str) -> str:
    """Drop each tag with the whitespace before it. (A leading \\s* in the pattern did the
    same, but made the search try every position of the page: a tenth of a second a page.)"""
    parts, last, dropped = [], 0, 0
    for match in PRINT_SITE_ASSETS.finditer(output):
        start = match.start()
        while start > last and output[start - 1].isspace():
            start -= 1
        parts.append(output[last:start])
        last = match.end()
        dropped += 1
    output = "".join(parts) + output[last:]
    if 'class="md-header' in output and dropped != 3:
        raise PluginError(f"theme hook: expected the print-site plugin's 2 stylesheets and 1 script in {where}, "
                          f"found {dropped}; update hooks/theme.py")
    return output


CODE_BLOCK = re.compile(r"(<pre(?: [^>]*)?>(?:<span></span>)?)<code>")


def _focusable_code(output: str) -> str:
    return CODE_BLOCK.sub(r'\1<code tabindex="0">', output)


TABLE = re.compile(r"<table>.*?</table>", re.DOTALL)


def _wrapped_tables(output: str) -> str:
    return TABLE.sub(lambda m: f'<div class="md-typeset__scrollwrap" tabindex="0"><div class="md-typeset__table">{m.group(0)}'
                               "</div></div>", output)


def on_post_page(output: str, page, config) -> str:
    output = _wrapped_tables(_focusable_code(_fix(output, page.file.src_uri)))
    return _drop_print_site_assets(output, page.file.src_uri)


PALETTE_SWITCHING = "[data-md-color-switching]"


def _retarget_palette_switching(site_dir: Path) -> None:
    sheets = sorted((site_dir / "assets" / "stylesheets").glob("palette.*.min.css"))
    if len(sheets) != 1:
        raise PluginError(f"theme hook: expected one palette stylesheet, found {[s.name for s in sheets]}; "
                          "update hooks/theme.py")
    css = sheets[0].read_text(encoding="utf-8")
    if css.count(PALETTE_SWITCHING) != 3:
        raise PluginError(f"theme hook: expected the rule on {PALETTE_SWITCHING} in {sheets[0].name} "
                          "(3 selectors); update hooks/theme.py")
    sheets[0].write_text(css.replace(PALETTE_SWITCHING, ".md-palette-switching"), encoding="utf-8")


def on_post_build(config) -> None:
    _retarget_palette_switching(Path(config["site_dir"]))
    printed = Path(config["site_dir"]) / "print_page" / "index.html"
    if printed.exists():
        fixed = _wrapped_tables(_focusable_code(_fix(printed.read_text(encoding="utf-8"), "print_page")))
        printed.write_text(fixed, encoding="utf-8")


ANCHOR_TAG = re.compile(r'<(h[1-6]|sup|li)\b[^>]*?\bid="([^"]*)"[^>]*>', re.IGNORECASE)


def _update_anchor_ids(page_html: str, page_key: str) -> str:
    """Prefix the ids of headings, footnote marks and footnotes with the page key."""
    return ANCHOR_TAG.sub(lambda m: m.group(0).replace(f'id="{m.group(2)}"', f'id="{page_key}-{m.group(2)}"', 1),
                          page_html)


print_site_urls.update_anchor_ids = _update_anchor_ids

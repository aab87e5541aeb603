"""The built site in a real browser: Debian's chromium driven by Python playwright.

Every page: no console error, no request off localhost, every formula typeset and no raw
TeX visible, heading permalinks resolve, no sideways scroll at 375 px, axe-core finds no
serious or critical violation in either palette; screenshots of both palettes go to
screenshots/ (git-ignored). Plus the interactions a reader relies on.

axe runs twice per page: dark palette at 1350 px and light palette at 375 px. A page's
article is coloured the same at every width and laid out the same in either palette, so
the two scans together see every colour of its content and every layout of it; what
differs between the four combinations is the theme's chrome (sidebars on a desktop, the
drawer on a phone), which is the same on every page and is scanned in the two remaining
combinations once, on one page. One axe scan of a long page costs 5-10 s of CPU (axe-core
4.14; 4.11 took twice that), about 60 % of a page's browser time: a third scan per page
would cost the suite minutes.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import markdown
import pytest

from conftest import ROOT, html_pages

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("browser tests need Debian's chromium: run `make test` as root (it apt-installs it) "
                "or `apt-get install chromium`", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

pytestmark = pytest.mark.browser
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = ROOT / "screenshots"
ROWS, COLS = "Rows: Y = XW + b", "Columns: y = Wx + b"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def base_url(site_dir):
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site_dir)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def pw():
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(pw):
    b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    yield b
    b.close()


class Visit:
    """A page opened in a fresh context that records errors and off-host requests."""

    def __init__(self, browser, url, wait_until="load", **context_args):
        self.context = browser.new_context(**context_args)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.remote: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._route)
        try:
            self.page.goto(url, wait_until=wait_until)
        except Exception:
            self.context.close()
            raise

    def _route(self, route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.remote.append(route.request.url)
            route.abort()

    def close(self):
        self.context.close()


def site_pages(site_dir: Path) -> list[str]:
    return [p.relative_to(site_dir).parent.as_posix() for p in html_pages(site_dir)
            if p.name == "index.html" and p.parent.name != "print_page"]


PAGE_DIRS = sorted(
    [p.stem for p in (ROOT / "docs").glob("*.md") if p.stem != "index"]
    + [f"notebooks/{p.stem}" for p in (ROOT / "docs" / "notebooks").glob("*.ipynb")]
    + ["."]
)


@functools.cache
def formulas_in_source(page_dir: str) -> int | None:
    """How many formulas the Markdown source holds, counted by the site's own Markdown setup."""
    source = ROOT / "docs" / ("index.md" if page_dir == "." else f"{page_dir}.md")
    if not source.exists():
        return None  # notebooks: counted by the raw-TeX check instead
    from mkdocs.config import load_config

    config = load_config(str(ROOT / "mkdocs.yml"))
    md = markdown.Markdown(extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"])
    return len(re.findall(r'class="arithmatex"', md.convert(source.read_text(encoding="utf-8"))))


# axe leaves the contrast of one-character text and of mathematical symbols undecided by
# default ("incomplete", never a violation): icon fonts draw with such characters. Here they
# are KaTeX's glyphs, one per element, so without these options no formula's contrast was
# ever checked (a formula planted in #bbb on white passed). Icons here are SVG.
# axe.configure replaces a check's options, so the defaults are read first (there is no
# public getter); if axe moves them, this fails instead of scanning with no thresholds.
AXE_SETUP = """() => {
  const check = axe._audit && axe._audit.checks['color-contrast'];
  if (!check || !check.options || !check.options.contrastRatio)
    throw new Error("axe-core no longer keeps color-contrast's options in axe._audit.checks: update AXE_SETUP");
  axe.configure({checks: [{id: 'color-contrast',
                           options: {...check.options, ignoreLength: true, ignoreUnicode: false}}]});
}"""


def serious_axe_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    page.evaluate(AXE_SETUP)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def set_palette(page, scheme: str):
    """Click the palette toggle until the page shows `scheme` ("default" or "slate")."""
    for _ in range(2):
        if page.get_attribute("body", "data-md-color-scheme") == scheme:
            return
        page.locator("form[data-md-component=palette] label:visible").first.click()
    assert page.get_attribute("body", "data-md-color-scheme") == scheme


def page_url(base_url: str, page_dir: str) -> str:
    return f"{base_url}/{'' if page_dir == '.' else page_dir + '/'}"


def each_page(pages: list[str] = PAGE_DIRS) -> list:
    """The parameters of a per-page check. Grouped by page: pytest-xdist (--dist loadgroup)
    runs every check of one page in one worker, which then loads the page once for all of
    them (see PageTour)."""
    return [pytest.param(d, id=d, marks=pytest.mark.xdist_group(f"page {d}")) for d in pages]


# --- one tour of each page, shared by the per-page checks ---------------------------------
#
# Each per-page check used to open the page on its own: 15 loads and 3 axe runs per page.
# A PageTour opens each page in the states the checks need, once each, and records what
# each check reads; the checks below assert on those records. What is loaded where:
#
#   desktop    1350x940, theme script on, error and off-host request recording:
#              positions of headings/tables/code/formulas (theme-script check, desktop),
#              formula counts, raw TeX, permalinks, glyphs and font preloads, nothing
#              skipped on a desktop, then both palettes (a screenshot each, axe in the
#              dark one), and last the destructive one: every displayed formula laid out
#              to compare heights.
#   narrow     375x812, mouse and keyboard: positions (theme-script check, phone), then
#              axe (light palette).
#   no_script  the same two viewports with the theme's script blocked (theme-script check).
#   phones     375x812 touch phone: sideways scroll (and the phone screenshots); then
#              320, 412 and 479 px touch phones: lazily laid out blocks.
#   sidebars   classic scrollbars, 1350x940: sidebar links without and with the script.
#
# A step that raises keeps its exception and only the checks that read that step fail.

class _Raised:
    def __init__(self, exc: BaseException):
        self.exc = exc


class Steps(dict):
    """What one load of a page measured, step by step."""

    def run(self, name: str, fn) -> None:
        loaded = dict.get(self, "load")
        if isinstance(loaded, _Raised):
            self[name] = loaded  # the page never loaded: every step reports why
            return
        try:
            self[name] = fn()
        except Exception as exc:  # noqa: BLE001 - re-raised by the check that reads this step
            self[name] = _Raised(exc)

    def __getitem__(self, name: str):
        value = dict.__getitem__(self, name)
        if isinstance(value, _Raised):
            raise value.exc
        return value


FORMULA_COUNTS = """() => [document.querySelectorAll('.katex').length,
                        document.querySelectorAll('.katex .katex-mathml math').length]"""
PERMALINKS = """() => {
  const ids = {};
  for (const e of document.querySelectorAll('[id]')) ids[e.id] = (ids[e.id] || 0) + 1;
  return [...document.querySelectorAll('a.headerlink')].map(a => {
    const href = a.getAttribute('href');
    return [href, href && href.startsWith('#') ? (ids[href.slice(1)] || 0) : 0];
  });
}"""
PRELOADED_FONTS = """() => [...document.querySelectorAll('link[rel=preload][as=font]')]
  .map(l => l.href.split('/').pop().replace('.woff2', ''))"""
SKIPPED_ON_DESKTOP = """() => [...document.querySelectorAll('.md-typeset > [data-later]')]
  .filter(b => getComputedStyle(b).contentVisibility !== 'visible').length"""
DESKTOP = {"width": 1350, "height": 940}
NARROW = {"width": 375, "height": 812}


class PageTour:
    def __init__(self, browser, base_url: str, page_dir: str):
        self.browser, self.page_dir = browser, page_dir
        self.url = page_url(base_url, page_dir)
        self.name = "home" if page_dir == "." else page_dir.replace("/", "--")

    @functools.cached_property
    def desktop(self) -> Steps:
        steps = Steps()
        steps.run("load", lambda: Visit(self.browser, self.url, wait_until="networkidle", viewport=DESKTOP))
        visit = dict.get(steps, "load")
        page = getattr(visit, "page", None)
        # first, before anything on the page is touched: where the theme's script left things
        steps.run("positions", lambda: page.evaluate(POSITIONS))
        steps.run("formulas", lambda: page.evaluate(FORMULA_COUNTS))
        steps.run("article_text", lambda: page.locator("article").inner_text())
        steps.run("permalinks", lambda: page.evaluate(PERMALINKS))
        steps.run("drawn_text", lambda: page.evaluate(DRAWN_TEXT))
        steps.run("preloaded", lambda: set(page.evaluate(PRELOADED_FONTS)))
        steps.run("skipped_on_desktop", lambda: page.evaluate(SKIPPED_ON_DESKTOP))
        SHOTS.mkdir(exist_ok=True)
        for scheme in ("default", "slate"):
            def palette(scheme=scheme):
                set_palette(page, scheme)
                page.screenshot(path=str(SHOTS / f"{self.name}-{scheme}.png"), full_page=False)
                return serious_axe_violations(page) if scheme == "slate" else None
            steps.run(f"axe {scheme}", palette)
        steps.run("palette back", lambda: set_palette(page, "default"))
        # last: lays every displayed formula out for real, which changes the page
        steps.run("reserved", lambda: page.evaluate(RESERVED_AND_DRAWN))
        steps.run("errors", lambda: list(visit.errors))
        steps.run("remote", lambda: list(visit.remote))
        if visit is not None and not isinstance(visit, _Raised):
            visit.close()
        return steps

    @functools.cached_property
    def narrow(self) -> Steps:
        steps = Steps()
        steps.run("load", lambda: Visit(self.browser, self.url, wait_until="networkidle", viewport=NARROW))
        visit = dict.get(steps, "load")
        page = getattr(visit, "page", None)
        steps.run("positions", lambda: page.evaluate(POSITIONS))
        steps.run("axe", lambda: serious_axe_violations(page))
        if visit is not None and not isinstance(visit, _Raised):
            visit.close()
        return steps

    @functools.cache
    def no_script(self, form: str) -> Steps:
        steps = Steps()
        viewport = DESKTOP if form == "desktop" else NARROW
        steps.run("positions", lambda: measure(self.browser, self.url, viewport, POSITIONS, theme_script=False)[0])
        return steps

    @functools.cached_property
    def phones(self) -> Steps:
        """One touch-phone context: first 375 px (sideways scroll, screenshots), then the
        320, 412 and 479 px loads the lazy-layout check measures. The first load also
        fills the context's cache with the page's fonts: on a busy machine a font that
        arrived after the first paint re-wrapped a paragraph (a shift of 0.02 at 320 px
        on 2 of 15 loads with both cores saturated), which is not what that check is
        about; what it measures (lazily laid-out blocks, the first paint waiting for the
        parser) it measures on every load."""
        steps = Steps()
        context = self.browser.new_context(viewport=NARROW, is_mobile=True, has_touch=True, device_scale_factor=2)
        try:
            page = context.new_page()
            page.add_init_script(LAYOUT_SHIFTS)
            steps.run("load", lambda: page.goto(self.url, wait_until="load"))
            steps.run("width", lambda: page.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"))
            if self.page_dir in ("affine-layer", "multilayer-backprop"):
                SHOTS.mkdir(exist_ok=True)
                steps.run("screenshot", lambda: page.screenshot(path=str(SHOTS / f"{self.page_dir}-phone.png")))
            for phone in PHONES:
                def lazily(phone=phone):
                    page.set_viewport_size(phone)
                    page.goto(self.url, wait_until="load")
                    return page.evaluate(LATER_BLOCKS)
                steps.run(f"{phone['width']}x{phone['height']}", lazily)
        finally:
            context.close()
        return steps

    @functools.cache
    def sidebars(self, browser_with_scrollbars) -> Steps:
        steps = Steps()
        steps.run("before", lambda: measure(browser_with_scrollbars, self.url, DESKTOP, SIDEBAR_LINKS,
                                            theme_script=False)[0])
        # after the script, then with the pointer over each sidebar, which restyles its scrollbar
        steps.run("after", lambda: measure(browser_with_scrollbars, self.url, DESKTOP, SIDEBAR_LINKS, hover=[
            ".md-sidebar--primary .md-nav__title", ".md-sidebar--secondary .md-nav__title"]))
        return steps


@pytest.fixture(scope="session")
def tours(browser, base_url):
    """page_dir -> its PageTour, made on first use."""
    made: dict[str, PageTour] = {}

    def tour(page_dir: str) -> PageTour:
        if page_dir not in made:
            made[page_dir] = PageTour(browser, base_url, page_dir)
        return made[page_dir]

    return tour


@pytest.mark.parametrize("page_dir", each_page())
def test_page_in_the_browser(tours, page_dir):
    seen = tours(page_dir).desktop
    # formulas: all typeset, as many as the source holds, no raw TeX visible
    rendered, with_mathml = seen["formulas"]
    assert with_mathml == rendered, "a formula lacks MathML"
    expected = formulas_in_source(page_dir)
    if expected is not None:
        assert rendered == expected, f"{rendered} formulas rendered, the source holds {expected}"
    text = seen["article_text"]
    for raw in ("\\(", "\\[", "$$", "\\frac", "\\begin{", "\\mathbf"):
        assert raw not in text, f"raw TeX {raw!r} visible on the page"
    # every heading permalink points at an element that exists
    for href, targets in seen["permalinks"]:
        assert href.startswith("#") and targets == 1, href
    # accessibility in the dark palette (the light one: test_narrow_window_is_accessible),
    # with a screenshot of each palette
    seen["axe default"]
    bad = seen["axe slate"]
    assert not bad, "axe in the dark palette:\n" + "\n".join(bad)
    seen["palette back"]
    assert not seen["errors"], seen["errors"]
    assert not seen["remote"], seen["remote"]


@pytest.mark.parametrize("page_dir", each_page())
def test_no_sideways_scroll_on_a_phone(tours, page_dir):
    seen = tours(page_dir).phones
    width = seen["width"]
    assert width[0] <= width[1], f"page is {width[0]} px wide in a {width[1]} px viewport"
    if "screenshot" in seen:
        seen["screenshot"]


@pytest.mark.parametrize("page_dir", each_page())
def test_narrow_window_is_accessible(tours, page_dir):
    """At 375 px, in the light palette: what scrolls sideways (wide tables, formulas, code)
    must be reachable from the keyboard, and every colour must keep its contrast. A window
    this narrow with a mouse and keyboard: on touch-only devices the theme itself drops the
    tab stop of wide code blocks (it sets tabindex only where "(hover)" matches)."""
    bad = tours(page_dir).narrow["axe"]
    assert not bad, "axe at 375 px in the light palette:\n" + "\n".join(bad)


def test_axe_judges_the_contrast_of_formula_glyphs(browser, base_url):
    """KaTeX draws most formulas one glyph per element. With axe's default options a faint
    formula ($X$ in #bbb on white, contrast 1.9) is "incomplete", never a violation;
    with AXE_SETUP it fails."""
    visit = Visit(browser, page_url(base_url, "affine-layer"), wait_until="networkidle", viewport=DESKTOP)
    try:
        page = visit.page
        page.evaluate("""() => {
          const formula = [...document.querySelectorAll('.md-typeset p .katex-html')]
            .find(e => e.textContent === 'X');
          formula.closest('p').id = 'faint-formula';
          formula.closest('.katex').style.color = '#bbb';
        }""")
        page.add_script_tag(path=str(AXE))
        scan = """() => axe.run('#faint-formula', {runOnly: ['color-contrast'], resultTypes: ['violations']})
                    .then(r => r.violations.flatMap(v => v.nodes.map(n => n.any[0].data.contrastRatio)))"""
        assert page.evaluate(scan) == [], "axe's defaults now judge one-glyph text: AXE_SETUP may be unneeded"
        page.evaluate(AXE_SETUP)
        ratios = page.evaluate(scan)
        assert ratios and all(ratio < 2 for ratio in ratios), ratios
    finally:
        visit.close()


@pytest.mark.parametrize("scheme, viewport", [("default", DESKTOP), ("slate", NARROW)], ids=["light-1350", "dark-375"])
def test_the_theme_chrome_is_accessible_in_the_other_two_combinations(browser, base_url, scheme, viewport):
    """Every page is scanned dark at 1350 px and light at 375 px. The other two combinations
    differ from those only in the theme's chrome (sidebars, header, drawer, footer), which
    is the same on every page: one full scan each, on a page with a table, code, formulas,
    admonitions and tabs. The page is reloaded in the chosen palette (the theme keeps it),
    as a returning reader sees it: on a phone, blocks laid out lazily (hooks/phone_layout.py)
    are styled only when shown, and shown during a switch they fade from the old palette's
    colours, which axe would catch half-way."""
    visit = Visit(browser, page_url(base_url, "bias-broadcast"), wait_until="networkidle", viewport=viewport)
    try:
        set_palette(visit.page, scheme)
        visit.page.reload(wait_until="networkidle")
        assert visit.page.get_attribute("body", "data-md-color-scheme") == scheme
        bad = serious_axe_violations(visit.page)
        assert not bad, f"axe in the {scheme} palette at {viewport['width']} px:\n" + "\n".join(bad)
    finally:
        visit.close()



POSITIONS = """async () => {
  await document.fonts.ready;
  await new Promise(r => setTimeout(r, 300));
  return [...document.querySelectorAll('article :is(h2, h3, table, pre, .arithmatex)')].map(e => {
    const b = e.getBoundingClientRect();
    return [e.tagName, Math.round(b.top + scrollY), Math.round(b.left), Math.round(b.width), Math.round(b.height)];
  });
}"""


def measure(browser, url: str, viewport: dict, script: str, theme_script: bool = True, hover=()) -> list:
    """`script` evaluated on a fresh load of `url` (with or without the theme's script),
    then once more with the pointer over each selector in `hover`."""
    context = browser.new_context(viewport=viewport)
    try:
        page = context.new_page()
        if not theme_script:
            page.route("**/assets/javascripts/bundle.*.js", lambda route: route.abort())
        page.goto(url, wait_until="networkidle")
        results = [page.evaluate(script)]
        for selector in hover:
            page.hover(selector)
            results.append(page.evaluate(script))
        return results
    finally:
        context.close()


@pytest.mark.parametrize("form", ["desktop", "phone"])
@pytest.mark.parametrize("page_dir", each_page())
def test_the_theme_script_moves_nothing(tours, page_dir, form):
    """Headings, tables, code and formulas sit where they are before the theme's script
    runs: what the script changes after load (e.g. wrapping tables) must not shift the
    page (Lighthouse CLS). Compared with the same page loaded without the script."""
    tour = tours(page_dir)
    positions = {False: tour.no_script(form)["positions"],
                 True: (tour.desktop if form == "desktop" else tour.narrow)["positions"]}
    assert len(positions[False]) == len(positions[True])
    moved = [(a, b) for a, b in zip(positions[False], positions[True]) if a != b]
    assert not moved, f"{len(moved)} elements moved when the theme's script ran, e.g. {moved[:3]}"


@pytest.fixture(scope="session")
def browser_with_scrollbars(pw):
    """Chromium drawing classic scrollbars that take up room, as on a Windows or Linux
    desktop (Playwright hides them by default)."""
    b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, ignore_default_args=["--hide-scrollbars"])
    yield b
    b.close()


SIDEBAR_LINKS = """async () => {
  await document.fonts.ready;
  return [...document.querySelectorAll('.md-sidebar .md-nav')].filter(n => !n.parentElement.closest('.md-nav'))
    .flatMap(nav => [...nav.querySelectorAll('.md-nav__link')].filter(a => a.getBoundingClientRect().height > 0).map(a => {
      const b = a.getBoundingClientRect(), top = nav.getBoundingClientRect().top;
      return [a.textContent.trim().slice(0, 40), Math.round(b.top - top), Math.round(b.width), Math.round(b.height)];
    }));
}"""


@pytest.mark.parametrize("page_dir", each_page())
def test_sidebars_keep_their_layout_when_the_theme_script_sizes_them(tours, browser_with_scrollbars, page_dir):
    """On a desktop with classic scrollbars, the navigation and the table of contents are
    laid out the same before and after the theme's script gives the sidebars their height
    (it used to remove a scrollbar from the table of contents, which re-wrapped: CLS)."""
    seen = tours(page_dir).sidebars(browser_with_scrollbars)
    before, after = seen["before"], seen["after"]
    assert len(before) > 5
    for state, links in zip(("loaded", "pointer on the navigation", "pointer on the contents"), after):
        moved = [(a, b) for a, b in zip(before, links) if a != b]
        assert before == links, f"{len(moved)} sidebar links moved or resized ({state}), e.g. {moved[:3]}"


def test_the_layout_does_not_move_when_the_page_outgrows_the_window(browser_with_scrollbars, base_url):
    """A page is painted before it has all arrived, while it may still fit the window;
    with classic scrollbars the page's scrollbar must not narrow the layout when it comes."""
    context = browser_with_scrollbars.new_context(viewport={"width": 1350, "height": 940})
    page = context.new_page()
    page.goto(f"{base_url}/affine-layer/", wait_until="load")
    left = "document.querySelector('.md-main__inner').getBoundingClientRect().left"
    long_page = page.evaluate(left)
    page.evaluate("document.querySelector('article').replaceChildren()")
    assert page.evaluate("document.documentElement.scrollHeight <= innerHeight"), "the page still scrolls"
    assert page.evaluate(left) == long_page
    context.close()


def test_copy_button_copies_exactly_the_snippet(browser, base_url):
    visit = Visit(browser, f"{base_url}/affine-layer/", permissions=["clipboard-read", "clipboard-write"])
    try:
        block = visit.page.locator(".highlight", has=visit.page.locator("span.filename", has_text="snippets/affine.py"))
        block.first.hover()
        block.first.locator("button[data-md-type=copy]").click()
        copied = visit.page.evaluate("navigator.clipboard.readText()")
        assert copied.rstrip("\n") == (ROOT / "snippets" / "affine.py").read_text(encoding="utf-8").rstrip("\n")
    finally:
        visit.close()


def pages_with_tabs(site_dir: Path) -> list[str]:
    return [d for d in PAGE_DIRS if d != "." and (site_dir / d / "index.html").exists()
            and COLS in (site_dir / d / "index.html").read_text(encoding="utf-8")]


def test_convention_tabs_switch_together_and_persist(browser, base_url, site_dir):
    tabbed = pages_with_tabs(site_dir)
    assert len(tabbed) >= 2, f"only {tabbed} use the convention tabs"
    visit = Visit(browser, f"{base_url}/{tabbed[0]}/")
    page = visit.page

    def selected(label):
        return page.evaluate(
            """label => [...document.querySelectorAll('.tabbed-set')].filter(s =>
                 [...s.querySelectorAll('.tabbed-labels > label')].some(l => l.innerText.trim() === label))
               .map(s => { const i = [...s.querySelectorAll(':scope > input')].findIndex(x => x.checked);
                           return s.querySelectorAll('.tabbed-labels > label')[i].innerText.trim(); })""", label)
    try:
        assert set(selected(COLS)) == {ROWS}, "rows should be the default convention"
        page.locator(".tabbed-labels > label", has_text=COLS).first.click()
        assert set(selected(COLS)) == {COLS}, "the other tab sets on the page did not follow"
        page.goto(f"{base_url}/{tabbed[1]}/", wait_until="load")
        assert set(selected(COLS)) == {COLS}, "the choice did not carry over to the next page"
        assert not visit.errors
    finally:
        visit.close()


def test_search_index_loads_only_when_the_reader_reaches_for_search(browser, base_url):
    visit = Visit(browser, f"{base_url}/affine-layer/")
    requested: list[str] = []
    visit.page.on("request", lambda r: requested.append(r.url))
    try:
        visit.page.wait_for_load_state("networkidle")
        assert not [u for u in requested if "search_index" in u], "the index was fetched before any search"
        with visit.page.expect_request("**/search/search_index.json"):
            visit.page.keyboard.press("/")  # the theme's shortcut focuses the search field
        visit.page.keyboard.type("broadcast")
        first = visit.page.locator(".md-search-result__item a").first
        first.wait_for(timeout=15000)
        assert not visit.errors, visit.errors
    finally:
        visit.close()


def test_search_for_bias_lists_the_bias_page_first(browser, base_url):
    visit = Visit(browser, f"{base_url}/")
    try:
        visit.page.locator("input.md-search__input").fill("bias")
        first = visit.page.locator(".md-search-result__item a").first
        first.wait_for(timeout=15000)
        assert "bias-broadcast" in first.get_attribute("href")
    finally:
        visit.close()


def test_palette_toggle_switches_to_dark_and_back(browser, base_url):
    visit = Visit(browser, f"{base_url}/affine-layer/")
    try:
        page = visit.page
        assert page.get_attribute("body", "data-md-color-scheme") == "default"
        page.locator("form[data-md-component=palette] label:visible").first.click()
        assert page.get_attribute("body", "data-md-color-scheme") == "slate"
        page.reload()
        assert page.get_attribute("body", "data-md-color-scheme") == "slate", "the choice is not remembered"
        page.locator("form[data-md-component=palette] label:visible").first.click()
        assert page.get_attribute("body", "data-md-color-scheme") == "default"
    finally:
        visit.close()


ROOT_SCHEME = "getComputedStyle(document.documentElement).colorScheme"
# The click and what it leaves, read in one task: the class lives for two frames, and a
# second round trip from the test can arrive after them on a busy machine. Colour
# transitions only: the theme's tab indicator may still be sliding into place (a
# transform) when the click comes.
SWITCH = """() => {
  document.querySelector('form[data-md-component=palette] label:not([hidden])').click();
  return [document.body.classList.contains('md-palette-switching'),
          document.getAnimations().filter(a => a instanceof CSSTransition
                                          && /color|fill|shadow/.test(a.transitionProperty)).length];
}"""


def test_palette_switch_is_instant_and_the_root_follows_it(browser, base_url):
    """overrides/main.html keeps the theme's <meta name=color-scheme> out of the page (each
    change of it restyles every element) and makes the root's color-scheme (scrollbars,
    form controls) follow the palette instead; hooks/theme.py points the theme's
    no-transitions-while-switching rule at a class set only around a real switch."""
    visit = Visit(browser, f"{base_url}/affine-layer/")
    try:
        page = visit.page
        assert page.evaluate("document.querySelectorAll('meta[name=color-scheme]').length") == 0
        assert page.evaluate("document.documentElement.className.split(' ')").count("js") == 1
        assert "no-js" not in page.evaluate("document.documentElement.className")
        assert page.evaluate(ROOT_SCHEME) in ("normal", "light")
        for scheme, root in (("slate", "dark"), ("default", "light")):
            switching, transitions = page.evaluate(SWITCH)
            assert switching, "no class to stop transitions during the switch"
            assert transitions == 0, f"{transitions} colour transitions ran on switching to {scheme}"
            assert page.get_attribute("body", "data-md-color-scheme") == scheme
            assert page.evaluate(ROOT_SCHEME) == root
            page.wait_for_function("!document.body.classList.contains('md-palette-switching')")
        assert not visit.errors, visit.errors
    finally:
        visit.close()


@pytest.mark.parametrize("page_dir", ["two-three-two-network", "multilayer-backprop"])
def test_the_theme_script_does_not_restyle_the_whole_page(browser, base_url, page_dir, tmp_path):
    """At start-up the theme's script used to make chromium restyle every element of the
    page three more times (see overrides/main.html), each a long task on a page of
    formulas. From a trace of the load: the elements styled in all, over the elements
    on the page, stays near one pass (skipped off-screen MathML makes it less than one)."""
    context = browser.new_context(viewport={"width": 412, "height": 823}, is_mobile=True)
    page = context.new_page()
    trace = tmp_path / "trace.json"
    try:
        browser.start_tracing(page=page, path=str(trace), categories=["devtools.timeline"])
        page.goto(f"{base_url}/{page_dir}/", wait_until="load")
        page.wait_for_timeout(1000)  # the theme's start-up work, and a frame or two after it
        browser.stop_tracing()
        elements = page.evaluate("document.querySelectorAll('*').length")
    finally:
        context.close()
    events = json.loads(trace.read_text(encoding="utf-8"))
    events = events["traceEvents"] if isinstance(events, dict) else events
    styled = sum(e.get("args", {}).get("elementCount", 0) for e in events if e.get("name") == "UpdateLayoutTree")
    assert styled < 1.3 * elements, f"{styled} elements styled for {elements} on the page"


RESERVED_AND_DRAWN = """async () => {
  await document.fonts.ready;
  return [...document.querySelectorAll('div.arithmatex')].map(d => {
    const em = parseFloat(getComputedStyle(d).fontSize);
    const reserved = parseFloat(d.style.containIntrinsicSize.split(' ').pop()) * em;
    d.style.contentVisibility = 'visible';  // lay it out for real
    return [reserved, d.getBoundingClientRect().height, em];
  });
}"""


@pytest.mark.parametrize("page_dir", each_page())
def test_off_screen_formulas_reserve_their_drawn_height(tours, site_dir, page_dir):
    """hooks/katex.py computes each displayed formula's height from KaTeX's output; here
    chromium lays each one out and the two must agree within 0.1 em (formulas in a hidden
    tab, 0 px tall, are left out). A formula skipped off screen takes its real height when
    it is shown: a mismatch moves what is below it (a layout shift near the fold)."""
    rows = tours(page_dir).desktop["reserved"]
    drawn = [(r, h, em) for r, h, em in rows if h > 0]
    displayed = (site_dir / page_dir / "index.html").read_text(encoding="utf-8").count('<div class="arithmatex"')
    assert (len(drawn) > 0) == (displayed > 0), f"{len(drawn)} formulas drawn, {displayed} in the page"
    off = [(round(r, 1), round(h, 1)) for r, h, em in drawn if abs(r - h) > 0.1 * em]
    assert not off, f"reserved vs drawn height (px): {off}"


LATER_BLOCKS = """async () => {
  await document.fonts.ready;
  const blocks = [...document.querySelectorAll('.md-typeset > [data-later]')];
  const rem = parseFloat(getComputedStyle(document.documentElement).fontSize);
  const skipped = blocks.filter(b => getComputedStyle(b).contentVisibility === 'auto').length;
  const reserved = blocks.map(b => parseFloat(b.style.getPropertyValue('--later')) * rem);
  const firstTop = blocks.length ? blocks[0].getBoundingClientRect().top + scrollY : null;
  blocks.forEach(b => b.style.contentVisibility = 'visible');  // lay them all out for real
  const drawn = blocks.map(b => b.getBoundingClientRect().height);
  const waits = blocks.length > 0 && blocks[0].id !== '' &&
    document.head.querySelector(`link[rel=expect][blocking=render][href="#${blocks[0].id}"]`) !== null;
  return {skipped, reserved, drawn, firstTop, waits, shifts: window.__shifts,
          text: blocks.map(b => b.tagName + ' ' + b.textContent.trim().slice(0, 40))};
}"""
LAYOUT_SHIFTS = """window.__shifts = [];
new PerformanceObserver(list => list.getEntries().forEach(e => window.__shifts.push(e.value)))
  .observe({type: 'layout-shift', buffered: true});"""
PHONES = [{"width": 320, "height": 568}, {"width": 412, "height": 915}, {"width": 479, "height": 1000}]


@pytest.mark.parametrize("page_dir", each_page())
def test_phones_lay_out_long_pages_lazily_without_moving_anything(tours, page_dir):
    """hooks/phone_layout.py marks the blocks after a page's first screens; on a phone the
    browser skips their layout until the reader scrolls near them. On phones from 320 to
    479 px wide: every marked block is skipped at load, the height it reserves is at least
    the height it is drawn at (otherwise it overlaps the next block while skipped, and
    accessibility checkers misread the page) and not wildly more (the scrollbar stays
    honest: at most 3 times, over the page), the first marked block starts below the first
    screen, rendering waits until the parser reaches it, and nothing shifts while the page
    loads. On a desktop nothing is skipped.

    Without that wait, a busy machine painted a half-parsed numbered formula on the first
    screen, which moved when the rest arrived: a shift on 1 to 3 pages per CI run, seen
    every time when the page is served in 2-4 KB pieces 10 ms apart."""
    tour = tours(page_dir)
    for phone in PHONES:
        where = f"{phone['width']}x{phone['height']}"
        got = tour.phones[where]
        assert not sum(got["shifts"]), f"{where}: layout shifts while loading: {got['shifts']}"
        if page_dir in ("errata", "layouts", "multilayer-backprop"):
            assert len(got["drawn"]) > 10, f"{where}: a long page with {len(got['drawn'])} blocks marked"
        if not got["drawn"]:
            continue
        assert got["skipped"] == len(got["drawn"]), f"{where}: {got['skipped']} of {len(got['drawn'])} skipped"
        short = [(text, round(r), round(d)) for text, r, d in zip(got["text"], got["reserved"], got["drawn"]) if r < d]
        assert not short, f"{where}: blocks drawn taller than they reserve (px): {short}"
        assert sum(got["reserved"]) <= 3 * sum(got["drawn"]), f"{where}: reserved {sum(got['reserved']):.0f} px " \
            f"for {sum(got['drawn']):.0f} px drawn"
        assert got["firstTop"] >= phone["height"], f"{where}: first marked block at {got['firstTop']:.0f} px"
        assert got["waits"], f"{where}: the first paint does not wait for the first marked block"
    skipped = tour.desktop["skipped_on_desktop"]
    assert skipped == 0, f"{skipped} blocks skipped on a desktop"


GLANCE_COLUMNS = """async () => {
  await document.fonts.ready;
  const table = document.querySelector('.errata-glance table');
  const widths = () => [...table.querySelectorAll('thead th')].map(th => Math.round(th.getBoundingClientRect().width));
  const all = widths();
  [...table.querySelectorAll('tbody tr')].slice(1).forEach(tr => tr.remove());  // as if only one row had arrived
  return [all, widths()];
}"""


@pytest.mark.parametrize("width", [1350, 1000, 375])
def test_errata_table_columns_do_not_depend_on_the_rows_that_have_arrived(browser, base_url, width):
    """The long table at the top of the errata page is drawn while its rows still arrive;
    with column widths taken from the content, the browser re-balanced the columns as rows
    came in and moved the cells already drawn (a layout shift). Its widths are fixed
    (docs/assets/site.css): the same with one row as with all of them."""
    visit = Visit(browser, f"{base_url}/errata/", viewport={"width": width, "height": 900})
    try:
        all_rows, one_row = visit.page.evaluate(GLANCE_COLUMNS)
        assert len(all_rows) == 5 and all_rows == one_row, f"column widths {all_rows} with every row, {one_row} with one"
    finally:
        visit.close()


TAG_CLEARANCE = """async () => {
  await document.fonts.ready;
  return [...document.querySelectorAll('.katex-display .tag')].map(tag => {
    tag.closest('div.arithmatex').style.contentVisibility = 'visible';
    const right = Math.max(...[...tag.parentElement.querySelectorAll(':scope > .base')].map(b => b.getBoundingClientRect().right));
    return [tag.textContent, tag.getBoundingClientRect().left - right];
  });
}"""


@pytest.mark.parametrize("width", [375, 1350])
@pytest.mark.parametrize("page_dir", ["affine-layer", "bias-broadcast", "multilayer-backprop"])
def test_equation_numbers_never_cover_their_formula(browser, base_url, page_dir, width):
    """KaTeX pins an equation number to the right of a box as wide as the column, so a wider
    formula ran under it (every numbered formula on a phone); docs/assets/site.css widens
    the box of a numbered formula with it. Number and formula are at least 4 px apart."""
    visit = Visit(browser, f"{base_url}/{page_dir}/", viewport={"width": width, "height": 900})
    try:
        gaps = visit.page.evaluate(TAG_CLEARANCE)
        assert gaps, "no numbered formula on the page"
        assert not [(tag, round(gap)) for tag, gap in gaps if gap < 4], gaps
    finally:
        visit.close()


NOTEBOOKS = [d for d in PAGE_DIRS if d.startswith("notebooks/")]


@pytest.mark.parametrize("page_dir", NOTEBOOKS)
def test_notebook_pages_show_outputs_and_images(browser, base_url, page_dir):
    visit = Visit(browser, f"{base_url}/{page_dir}/")
    try:
        page = visit.page
        assert page.locator(".jp-OutputArea-output").count() > 0, "no cell output on the page"
        if "digits" in page_dir:
            images = page.locator(".jp-OutputArea-output img")
            assert images.count() >= 2, "the digits notebook should show its plots"
            for i in range(images.count()):
                assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    finally:
        visit.close()


def test_chromium_flag_list_is_what_the_guide_says():
    assert shutil.which(str(CHROMIUM))
    assert {"--no-sandbox", "--disable-background-networking"} <= set(ARGS)


# --- fonts: every glyph of every formula drawn by a font that has it, fonts preloaded ----

def katex_faces(site_dir: Path) -> dict[tuple[str, str, str], str]:
    """(family, weight, style) -> font file name, from the site's KaTeX stylesheet."""
    css = (site_dir / "assets" / "katex" / "katex.min.css").read_text(encoding="utf-8")
    faces = {}
    for body in re.findall(r"@font-face\{([^}]*)\}", css):
        d = dict(part.split(":", 1) for part in body.split(";") if ":" in part)
        faces[(d["font-family"], d["font-weight"], d["font-style"])] = re.search(r"fonts/([^)]+)\.woff2", d["src"]).group(1)
    return faces


def face_for(faces: dict, family: str, weight: str, style: str) -> str | None:
    """The face CSS font matching picks among KaTeX's (a synthesized bold or italic falls
    back to the regular face of the family)."""
    for key in ((family, weight, style), (family, weight, "normal"), (family, "400", style), (family, "400", "normal")):
        if key in faces:
            return faces[key]
    return None


@functools.cache
def font_cmap(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(str(path)).getBestCmap())


DRAWN_TEXT = """() => {
  const seen = {};
  for (const root of document.querySelectorAll('.katex-html')) {
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walk.nextNode(); node; node = walk.nextNode()) {
      if (!node.data.trim()) continue;
      const cs = getComputedStyle(node.parentElement);
      const key = [cs.fontFamily.split(',')[0].replace(/["']/g, '').trim(), cs.fontWeight, cs.fontStyle].join('|');
      seen[key] = (seen[key] || '') + node.data;
    }
  }
  return seen;
}"""


@pytest.mark.parametrize("page_dir", each_page())
def test_every_formula_glyph_is_in_the_font_that_draws_it(tours, site_dir, page_dir):
    """The fonts are cut down to the characters the formulas use (hooks/katex.py), and the
    page preloads the fonts its formulas use. Checked against what chromium computes."""
    seen = tours(page_dir).desktop
    faces = katex_faces(site_dir)
    drawn, preloaded = seen["drawn_text"], seen["preloaded"]
    used, missing = set(), []
    for key, text in drawn.items():
        family, weight, style = key.split("|")
        if not family.startswith("KaTeX_"):
            continue
        name = face_for(faces, family, weight, style)
        assert name, f"no KaTeX font for {key}"
        used.add(name)
        shipped = font_cmap(site_dir / "assets" / "katex" / "fonts" / f"{name}.woff2")
        original = font_cmap(ROOT / "node_modules" / "katex" / "dist" / "fonts" / f"{name}.woff2")
        missing += [f"{c!r} in {name}" for c in set(text) if ord(c) in original and ord(c) not in shipped]
    assert not missing, f"glyphs cut from the fonts but used on the page: {sorted(missing)[:20]}"
    assert used == preloaded, f"fonts drawn {sorted(used)}, preloaded {sorted(preloaded)}"

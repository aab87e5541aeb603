"""The print page holds the whole site in reading order with typeset math, and prints to PDF."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, strip_code


def nav_pages() -> list[str]:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    nav = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=Loader)["nav"]
    pages = []

    def walk(items):
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            walk(value) if isinstance(value, list) else pages.append(value)

    walk(nav)
    return pages


def test_print_page_has_every_page_and_typeset_math(site_dir: Path):
    html = (site_dir / "print_page" / "index.html").read_text(encoding="utf-8")
    for page in nav_pages():
        key = page.rsplit(".", 1)[0].replace("/", "-")
        assert f'id="{key}' in html or f'section-{key}' in html or key in html, f"{page} missing from the print page"
    text = re.sub(r"<annotation\b.*?</annotation>", "", strip_code(html), flags=re.DOTALL)
    assert "\\(" not in text and "$$" not in text
    assert html.count('class="katex"') > 100
    assert 'data-md-component="source"' not in html  # no api.github.com request from the print page


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="printing needs Debian's chromium (make test installs it)")
def test_print_page_prints_to_pdf(site_dir: Path, tmp_path: Path):
    """Why this takes a minute: the print page is the whole site in one document (about
    300,000 elements, 5,000 formulas, each with its MathML) and chromium lays it out and
    prints 260 pages, about 55 s of CPU. The virtual-time budget costs nothing (the same
    CPU time with a budget of 1 ms). It runs first, beside the other tests (conftest.py);
    on a loaded machine it can take several times longer, hence the generous timeout."""
    pdf = tmp_path / "site.pdf"
    subprocess.run(
        ["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer",
         "--virtual-time-budget=20000", f"--print-to-pdf={pdf}", (site_dir / "print_page" / "index.html").as_uri()],
        capture_output=True, timeout=900, check=True)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 20, "the whole site should fill many pages"
    if shutil.which("pdffonts"):
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "KaTeX" in fonts, "the PDF should embed KaTeX's fonts, i.e. typeset math"

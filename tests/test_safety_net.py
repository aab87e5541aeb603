"""Negative cases: the checks catch a wrong worked number, a missing snippet and bad math."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from pymdownx.snippets import SnippetMissingError

from conftest import ROOT, mkdocs_build
from markdown_code import expand, python_blocks, run_page

WORKED = re.compile(r'^(?P<indent>[ \t]*)!!! success "Worked answer[^"]*"', re.MULTILINE)
NUMBER = re.compile(r"(?<!e-)(?<!e\+)(?<![\w.=])(\d[\d_]*(?:\.\d+)?)(?![\w.])")


def worked_answer_blocks(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of every "Worked answer" admonition body."""
    spans = []
    for m in WORKED.finditer(text):
        indent = len(m.group("indent"))
        end, pos = len(text), m.end()
        for line in re.finditer(r"^.*$", text[pos:], re.MULTILINE):
            stripped = line.group(0)
            if stripped.strip() and len(stripped) - len(stripped.lstrip()) <= indent:
                end = pos + line.start()
                break
        spans.append((m.end(), end))
    return spans


def first_argument_end(code: str) -> int:
    """Index of the comma that ends the first argument of the call on this line (-1 if none)."""
    depth, opened = 0, False
    for i, ch in enumerate(code):
        if ch in "([{":
            depth += 1
            opened = True
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 1 and opened:
            return i
    return -1


PAGES = sorted((ROOT / "docs").glob("*.md"))
WORKED_PAGES = [p for p in PAGES if WORKED.search(p.read_text(encoding="utf-8"))]


@pytest.mark.parametrize("page", WORKED_PAGES, ids=lambda p: p.name)
def test_a_wrong_worked_number_fails_the_page(page: Path):
    """In every worked-answer block, changing an asserted number makes the page's code fail."""
    text = expand(page.read_text(encoding="utf-8"))
    for start, end in worked_answer_blocks(text):
        block = text[start:end]
        candidates = []
        for line in re.finditer(r"^.*assert.*$", block, re.MULTILINE):
            code = line.group(0).split("  #")[0]
            if "import" in code:
                continue
            # expected values follow the first comma of an assert_* call, or the == of a bare assert
            split = first_argument_end(code) if "assert_" in code else code.find("==")
            if split < 0:
                continue
            candidates += [(line, n) for n in NUMBER.finditer(code) if n.start() > split
                           and not re.search(r"(tol|decimal)\s*=\s*$", code[:n.start()])]
        assert candidates, f"{page.name}: a worked answer at offset {start} asserts no literal number"
        line, n = candidates[0]
        at = start + line.start() + n.start()
        wrong = text[:at] + str(float(n.group(1)) + 1) + text[at + len(n.group(1)):]
        with pytest.raises(AssertionError):
            run_page(wrong, page.name)


def test_a_wrong_worked_number_in_a_made_up_page_fails():
    page = '```python\nimport numpy as np\nX = np.array([[0., 1.], [2., 3.]])\n```\n\n' \
           '!!! success "Worked answer"\n    ```python\n    assert ((X @ np.ones((2, 2))) ** 2).sum() == {}\n    ```\n'
    run_page(expand(page.format(52.0)), "made-up.md")
    with pytest.raises(AssertionError):
        run_page(expand(page.format(53.0)), "made-up.md")


def test_a_missing_snippet_fails_the_page_collector():
    with pytest.raises(SnippetMissingError):
        expand('```python\n--8<-- "snippets/no_such_file.py"\n```\n')


def test_a_missing_snippet_fails_the_build(mini_project, tmp_path):
    config = mini_project('# Page\n\n```python\n--8<-- "snippets/no_such_file.py"\n```\n')
    proc = mkdocs_build(config, tmp_path / "out")
    assert proc.returncode != 0
    assert "no_such_file.py" in proc.stderr


def test_a_malformed_formula_fails_the_build_naming_page_and_formula(mini_project, tmp_path):
    config = mini_project("# Page\n\nFine: $x^2$. Broken: $\\frac{1}{$.\n", name="broken-math.md")
    proc = mkdocs_build(config, tmp_path / "out")
    assert proc.returncode != 0
    assert "broken-math.md" in proc.stderr and "\\\\frac{1}{" in proc.stderr, proc.stderr[-2000:]


def test_a_good_mini_project_builds(mini_project, tmp_path):
    """The two failures above are caused by the planted faults, not by the mini project."""
    config = mini_project("# Page\n\n$$\nY = XW + \\mathbf{1} b\n$$\n")
    proc = mkdocs_build(config, tmp_path / "out")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'class="katex-display"' in (tmp_path / "out" / "page" / "index.html").read_text()


def test_code_blocks_are_found_inside_admonitions_and_tabs():
    text = '!!! note\n    ```python\n    a = 1\n    ```\n\n=== "Rows: Y = XW + b"\n\n    ``` py\n    b = a + 1\n' \
           '    ```\n\n```text\nnot run\n```\n'
    assert [code.strip() for _, code in python_blocks(text)] == ["a = 1", "b = a + 1"]
    assert run_page(text, "t.md")["b"] == 2


CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")   # every control character but \n (\t included)


@pytest.mark.parametrize("path", PAGES + sorted((ROOT / "snippets").glob("*.py")), ids=lambda p: p.name)
def test_no_control_characters(path: Path):
    """A tab or other control character in a page is almost always an escape gone wrong: a script
    that wrote "\\times" through a Python string left a tab and "imes", which KaTeX typesets
    without complaint (notation.md, issue 16)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = CONTROL.search(line)
        assert not match, f"{path.name}:{number}: control character {match.group()!r} in {line.strip()[:80]!r}"


def test_the_control_character_check_sees_a_tab():
    assert CONTROL.search("$S \\in \\mathbb{R}^{N \times C}$")     # "\t" + "imes": the slip it guards
    assert not CONTROL.search("$S \\in \\mathbb{R}^{N \\times C}$")


@pytest.mark.skipif("OPENBLAS_CORETYPE" not in os.environ, reason="make test sets OPENBLAS_CORETYPE on x86_64")
def test_numpy_uses_the_openblas_kernels_the_makefile_asks_for():
    """The Makefile's OPENBLAS_CORETYPE (see its comment) only helps if numpy's OpenBLAS reads it;
    a numpy wheel built against another BLAS, or an OpenBLAS that renames its kernels, shows here."""
    import numpy  # noqa: F401  (threadpoolctl lists the libraries loaded so far)
    from threadpoolctl import threadpool_info

    found = [(lib["internal_api"], lib.get("architecture")) for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert ("openblas", os.environ["OPENBLAS_CORETYPE"]) in found, found


@pytest.mark.xdist_group("safety net")
def test_xdist_keeps_each_group_in_one_worker(request):
    """`--dist loadgroup` (pyproject.toml) sends every test of one xdist_group to one worker,
    which is how the per-page browser checks share one tour of their page. pytest-xdist marks
    a test's group by a suffix on its node id. pytest 9.2 keeps node ids elsewhere and
    pytest-xdist 3.8.0 still writes the old attribute, so with pytest 9.2 every group was
    silently split: the two workers each toured most pages, axe scans included. pytest
    stays at 9.1.1 until this passes with a newer one."""
    if not request.config.getvalue("loadgroup"):
        pytest.skip("not run under pytest-xdist's --dist loadgroup (make test runs it so)")
    assert request.node.nodeid.endswith("@safety net"), request.node.nodeid

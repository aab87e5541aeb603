"""Every notebook under docs/ is valid, stored without outputs, and keeps its promises.

The notebooks themselves run under nbmake (`pytest --nbmake docs/notebooks/`, part of the
default test run) and again when mkdocs-jupyter builds the site; this file does not
execute them. It checks what a reviewer would otherwise check by eye: no outputs or
execution counts in the stored file, valid nbformat, ASCII-only math (KaTeX runs in
strict mode), no copy of snippet code, and the digits notebook's 97% assertion.
"""

from __future__ import annotations

import ast
import copy
import math
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p for p in (ROOT / "docs").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
SNIPPETS = ROOT / "snippets"
EXPECTED = {"docs/notebooks/two-three-two-network.ipynb", "docs/notebooks/digits-from-scratch.ipynb"}
CLEAR = ".venv/bin/jupyter nbconvert --clear-output --inplace"

# The inline and display math that hooks/katex.py hands to KaTeX (same delimiters).
MATH = re.compile(
    r"\$\$(?P<display>.+?)\$\$|(?<![\\$\w])\$(?=\S)(?P<inline>[^$\n]+?)(?<=\S)\$(?!\w)", re.DOTALL)


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=nbformat.NO_CONVERT)


def stored_outputs(nb) -> list[str]:
    """Why the notebook is not 'stored without outputs', one line per offending cell."""
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {index} has {len(cell.outputs)} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {index} has execution_count {cell.execution_count}")
    return problems


def non_ascii_math(nb) -> list[str]:
    """Formulas in markdown cells that contain a non-ASCII character or \\mathbb{1}."""
    bad = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for match in MATH.finditer(cell.source):
            tex = match.group("display") or match.group("inline")
            if not tex.isascii() or r"\mathbb{1}" in tex:
                bad.append(tex.strip()[:80])
    return bad


def code_of(nb) -> str:
    """All code cells as one Python source (IPython magics and shell lines dropped)."""
    cells = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    lines = [line for cell in cells for line in cell.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def snippet_functions(module: str) -> set[str]:
    tree = ast.parse((SNIPPETS / f"{module}.py").read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def imported_snippets(tree: ast.Module) -> set[str]:
    """The snippet modules a notebook imports (import x / from x import ...)."""
    available = {p.stem for p in SNIPPETS.glob("*.py")}
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names & available


def defined_functions(tree: ast.Module) -> set[str]:
    return {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def test_the_notebooks_exist():
    assert EXPECTED <= {rel(p) for p in NOTEBOOKS}, f"missing: {EXPECTED - {rel(p) for p in NOTEBOOKS}}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_valid_nbformat_with_a_python_kernel(path):
    nb = read(path)
    nbformat.validate(nb)  # raises nbformat.ValidationError with the reason
    assert (nb.nbformat, nb.nbformat_minor) >= (4, 5), "cell ids need nbformat 4.5"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", \
        "nbmake and mkdocs-jupyter start the kernel named in metadata.kernelspec: use python3"
    ids = [cell.id for cell in nb.cells]
    assert len(ids) == len(set(ids)), "duplicate cell ids"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), \
        "the first cell is the page title, a markdown '# ' heading"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_stored_without_outputs(path):
    problems = stored_outputs(read(path))
    assert not problems, f"{rel(path)}: " + "; ".join(problems) + f". Clear it with `{CLEAR} {rel(path)}`"


def test_the_output_check_catches_a_stored_output():
    nb = read(ROOT / "docs/notebooks/two-three-two-network.ipynb")
    assert not stored_outputs(nb)
    dirty = copy.deepcopy(nb)
    cell = next(c for c in dirty.cells if c.cell_type == "code")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x\n")]
    cell.execution_count = 3
    assert stored_outputs(dirty) == ["cell 1 has 1 output(s)", "cell 1 has execution_count 3"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_math_is_ascii_for_katex(path):
    nb = read(path)
    assert any(MATH.search(c.source) for c in nb.cells if c.cell_type == "markdown"), "no math found"
    bad = non_ascii_math(nb)
    assert not bad, f"{rel(path)}: write these formulas in ASCII LaTeX (\\times, \\odot, \\mathbf{{1}}): {bad}"


def test_the_math_check_catches_unicode():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("ok $a \\times b$, bad $a × b$")])
    assert non_ascii_math(nb) == ["a × b"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_no_math_in_headings(path):
    """The table of contents shows headings as plain text, so TeX there would show raw."""
    headings = [line for cell in read(path).cells if cell.cell_type == "markdown"
                for line in cell.source.splitlines() if line.startswith("#")]
    assert not [h for h in headings if "$" in h]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_imports_snippets_instead_of_copying_them(path):
    source = code_of(read(path))
    tree = ast.parse(source)
    modules = imported_snippets(tree)
    assert modules, "the notebook imports nothing from snippets/"
    copied = defined_functions(tree) & set().union(*(snippet_functions(m) for m in modules))
    assert not copied, f"{rel(path)} redefines snippet functions {sorted(copied)}: import them instead"
    assert "snippets" in source and "affine.py" in source and ".parents" in source, \
        "the first code cell should find snippets/ by walking up from Path.cwd()"


def test_digits_notebook_asserts_97_percent_on_the_test_set():
    source = code_of(read(ROOT / "docs/notebooks/digits-from-scratch.ipynb"))
    assert re.search(r"^assert test_acc >= 0\.97\b", source, re.MULTILINE), "the 97% assertion is gone"
    assert re.search(r"^test_pred = predict\(params, X_test\)", source, re.MULTILINE)
    assert re.search(r"^test_acc = np\.mean\(test_pred == y_test\)", source, re.MULTILINE)
    assert "time.perf_counter()" in source and "train_seconds" in source, "training time is not measured"
    assert "random_state=0" in source and "default_rng(0)" in source, "split or seed is not fixed"
    assert "assert whole < 1e-7" in source, "the whole-network gradient check assertion is gone"


def test_exercise_numbers():
    """Numbers quoted in the notebooks' exercise solutions, recomputed here."""
    text_232 = "\n".join(c.source for c in read(ROOT / "docs/notebooks/two-three-two-network.ipynb").cells)
    a = 1 / (1 + math.exp(10))                       # sigma(-10)
    delta = (a - 1) * a * (1 - a)                    # (a - y) a (1 - a) with y = 1
    assert f"{a:.2e}" == "4.54e-05" and f"{delta:.2e}" == "-4.54e-05"
    assert r"\sigma(-10) \approx 4.54 \times 10^{-5}" in text_232
    assert r"\approx -4.54 \times 10^{-5}" in text_232

    text_digits = "\n".join(c.source for c in read(ROOT / "docs/notebooks/digits-from-scratch.ipynb").cells)
    u32, u64 = 2.0 ** -24, 2.0 ** -53                # unit round-offs, as on gradient-checking.md
    loss = 2.4                                       # the printed initial loss, 2.427
    assert round(u32 * loss / 1e-5, 3) == 0.014       # the float32 floor quoted in exercise 3
    assert round(u64 * loss / 1e-5 / 1e-11, 1) == 2.7  # the float64 floor, 2.7e-11
    assert r"\approx 0.014" in text_digits and r"2.7 \times 10^{-11}" in text_digits
    assert "6.0 \\times 10^{-8}" in text_digits and f"{u32:.2g}" == "6e-08"
    assert r"u = 2^{-53} \approx 1.1 \times 10^{-16}" in text_digits     # issue 16: one u site-wide
    assert r"\varepsilon" not in text_digits
    gradient_checking = (ROOT / "docs" / "gradient-checking.md").read_text(encoding="utf-8")
    assert r"$u = 2^{-53} \approx 1.1 \times 10^{-16}$" in gradient_checking
    assert 64 * 128 + 128 + 128 * 10 + 10 == 9610 and "9,610" in text_digits

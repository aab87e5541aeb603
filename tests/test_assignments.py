"""The graded assignments (assignments/*.ipynb) build, grade their solutions and name every mistake.

Once per session the masters are assigned with `otter assign` (assignments/build.py, what
`make assignments` runs), which fails unless each master's own solution scores full marks.
Then the built autograders grade, through otter's `otter run` code path:
- the student notebook as distributed (blank): zero points, no crash;
- for every named mistake in tests/assignments/<assignment>.yml, the solution with that one
  mistake: its question loses points and the feedback contains the expected diagnosis.
Mistakes that touch different parts of the answer are graded together in one notebook (each
check reports every failure, so none hides another): one kernel start per bundle instead of
one per mistake. The student's files must hold no solution line and no hidden test.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
MISTAKES_DIR = Path(__file__).resolve().parent / "assignments"
SPEC = importlib.util.spec_from_file_location("assignments_build", ROOT / "assignments" / "build.py")
build = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(build)

MASTERS = {m.stem: m for m in build.masters()}
# One xdist worker for the whole file: otherwise each worker assigns and grades everything
# again in its own session fixtures (measured: 53 s and 45 s of setup, one per worker).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("assignments")]


def load_mistakes(name: str) -> dict:
    return yaml.safe_load((MISTAKES_DIR / f"{name}.yml").read_text(encoding="utf-8"))


ALL_MISTAKES = [(name, key) for name in MASTERS if (MISTAKES_DIR / f"{name}.yml").exists()
                for key in load_mistakes(name)["mistakes"]]


# --- reading a master ---------------------------------------------------------------------

def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def blocks(nb, kind: str) -> list[list[nbformat.NotebookNode]]:
    """The cells between each raw `# BEGIN <kind>` and its `# END <kind>`."""
    found, current = [], None
    for cell in nb.cells:
        first = cell.source.splitlines()[0].strip().upper() if cell.source.strip() else ""
        if cell.cell_type == "raw" and first == f"# BEGIN {kind}":
            current = []
        elif cell.cell_type == "raw" and first == f"# END {kind}":
            found.append(current)
            current = None
        elif current is not None:
            current.append(cell)
    return found


def solution_cells(nb) -> list[str]:
    return [c.source for block in blocks(nb, "SOLUTION") for c in block if c.cell_type == "code"]


def hidden_test_cells(nb) -> list[str]:
    return [c.source for block in blocks(nb, "TESTS") for c in block
            if c.cell_type == "code" and re.match(r"\s*#.*\bhidden\b", c.source, re.IGNORECASE)]


def solution_lines(nb) -> list[str]:
    """The lines a student must write: those inside `# BEGIN SOLUTION` ... `# END SOLUTION`."""
    lines = []
    for source in solution_cells(nb):
        inside = False
        for line in source.splitlines():
            if line.strip() == "# BEGIN SOLUTION":
                inside = True
            elif line.strip() == "# END SOLUTION":
                inside = False
            elif inside and not line.strip().startswith("#"):
                code = line.split("#")[0].strip()
                if len(code) >= 20:   # shorter lines (N = x.shape[0]) give nothing away
                    lines.append(code)
    return lines


def filled(student_nb, master_nb):
    """The student notebook with every answer cell filled in with the master's solution."""
    nb = copy.deepcopy(student_nb)
    answers = [c for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    solutions = solution_cells(master_nb)
    assert len(answers) == len(solutions), "answer cells and solution cells do not pair up"
    for cell, source in zip(answers, solutions):
        cell.source = source
    return nb


def with_mistakes(nb, mistakes: list[dict]):
    nb = copy.deepcopy(nb)
    for mistake in mistakes:
        hits = [c for c in nb.cells if c.cell_type == "code" and mistake["find"] in c.source]
        count = sum(c.source.count(mistake["find"]) for c in hits)
        assert count == 1, f"`{mistake['find']}` occurs {count} times in the solution, not once"
        hits[0].source = hits[0].source.replace(mistake["find"], mistake["replace"])
    return nb


def bundles(spec: dict) -> list[list[str]]:
    """Group the mistakes, in file order, so that no two in one bundle touch the same slot of the
    same question. (A question that calls another question's functions is still diagnosed: its
    hidden tests run it with the site's versions of those functions.)"""
    def slots(key):
        m = spec["mistakes"][key]
        return {(m["question"], s) for s in ([m["slot"]] if isinstance(m["slot"], str) else m["slot"])}

    groups: list[list[str]] = []
    for key in spec["mistakes"]:
        for group in groups:
            if all(not slots(key) & slots(other) for other in group):
                group.append(key)
                break
        else:
            groups.append([key])
    return groups


# --- building and grading, once per session ---------------------------------------------------

GRADER = r"""
import json, sys
from otter.run import main
for submission, autograder, out in json.loads(sys.argv[1]):
    main(submission, autograder=autograder, output_dir=out, no_logo=True)
"""


def grade(jobs: list[tuple[Path, Path, Path]], workers: int = 2) -> None:
    """Grade each (submission, autograder, output dir) with otter's `otter run` entry point,
    `workers` Python processes in parallel, each grading its share one after the other."""
    shares = [jobs[i::workers] for i in range(workers)]

    def run(share):
        if not share:
            return
        payload = json.dumps([[str(s), str(a), str(o)] for s, a, o in share])
        proc = subprocess.run([sys.executable, "-c", GRADER, payload], capture_output=True,
                              text=True, check=False, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, shares))


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """`otter assign` on every master (it fails unless each solution scores full marks)."""
    return build.build(tmp_path_factory.mktemp("assignments"))


@pytest.fixture(scope="session")
def graded(built, tmp_path_factory) -> dict[str, dict]:
    """results.json of every graded notebook: '<assignment>/blank' and '<assignment>/bundle-<i>'."""
    root = tmp_path_factory.mktemp("graded")
    jobs, names = [], []
    for name, files in built.items():
        student = read(files["notebook"])
        runs = {"blank": student}
        if (MISTAKES_DIR / f"{name}.yml").exists():
            spec = load_mistakes(name)
            solution = filled(student, read(MASTERS[name]))
            for i, group in enumerate(bundles(spec)):
                runs[f"bundle-{i}"] = with_mistakes(solution, [spec["mistakes"][k] for k in group])
        for run_name, nb in runs.items():
            out = root / name / run_name
            out.mkdir(parents=True)
            nbformat.write(nb, out / f"{name}.ipynb")
            jobs.append((out / f"{name}.ipynb", files["autograder_zip"], out))
            names.append(f"{name}/{run_name}")
    grade(jobs)
    results = {}
    for run_name, (_, _, out) in zip(names, jobs):
        path = out / "results.json"
        assert path.exists(), f"otter run wrote no results for {run_name}"
        results[run_name] = json.loads(path.read_text(encoding="utf-8"))
    return results


def deployed_site_url() -> str:
    """The default of `site_url: !ENV [SITE_URL, "..."]` in mkdocs.yml: where Pages serves the site."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    return re.search(r'^site_url: !ENV \[SITE_URL, "([^"]+)"\]', config, re.MULTILINE).group(1)


def questions(result: dict) -> dict[str, dict]:
    return {t["name"]: t for t in result["tests"] if "max_score" in t}


# --- the tests ----------------------------------------------------------------------------

def test_there_are_masters_and_mistakes():
    """One assignment per layer family the site covers, each with its named mistakes."""
    assert {"affine-and-bias", "activations-and-losses", "backprop-network", "normalization",
            "attention", "convolution"} <= set(MASTERS)
    per_master = {n: sum(1 for m, _ in ALL_MISTAKES if m == n) for n in MASTERS}
    assert all(count >= 5 for count in per_master.values()), per_master


@pytest.mark.parametrize("name", sorted(MASTERS))
def test_master_is_clean(name):
    """Stored without outputs, a python3 kernel, and every site link under the site's URL."""
    nb = read(MASTERS[name])
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, \
                f"{name}: clear the outputs (jupyter nbconvert --clear-output --inplace)"
    site_url = deployed_site_url()
    text = "\n".join(c.source for c in nb.cells)
    urls = re.findall(r"https://[^\s)\"']+", text)
    ours = [u for u in urls if "backprop-matrix-calculus" in u]
    assert ours and all(u.startswith(site_url) for u in ours), (site_url, ours)
    pages = {p.stem for p in (ROOT / "docs").glob("*.md")}
    for url in ours:
        rest, _, anchor = url[len(site_url):].partition("#")
        rest = rest.strip("/")
        if rest.startswith("assignments/"):
            assert rest == f"assignments/{name}-student.zip", url
        else:
            assert rest in pages, f"{url} is not a page of the site"
            assert not anchor or anchor in anchors(rest), f"{url}: no section #{anchor} on that page"


def anchors(page: str) -> set[str]:
    """The section ids of docs/<page>.md: explicit `{ #id }` and the toc extension's default
    slugs of the other headings."""
    text = (ROOT / "docs" / f"{page}.md").read_text(encoding="utf-8")
    ids = set(re.findall(r"\{ *#([\w-]+) *\}", text))
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE):
        if "{" not in heading:
            slug = re.sub(r"[^\w\s-]", "", heading).strip().lower()
            ids.add(re.sub(r"[-\s]+", "-", slug))
    return ids


@pytest.mark.parametrize("name", sorted(MASTERS))
def test_students_get_no_solution_and_no_hidden_test(built, name):
    import zipfile
    master = read(MASTERS[name])
    with zipfile.ZipFile(built[name]["student_zip"]) as zf:
        shipped = {n: zf.read(n).decode("utf-8") for n in zf.namelist()}
    shipped["the published notebook"] = built[name]["notebook"].read_text(encoding="utf-8")
    assert sorted(n for n in shipped if n.startswith("tests/")), "no public tests shipped"
    assert not [n for n in shipped if "reference" in n], "the site's snippets are autograder-only"
    lines = solution_lines(master)
    assert len(lines) >= 5
    for file, text in shipped.items():
        assert "hidden=True" not in text, f"{file} holds a hidden test"
        assert "import reference_" not in text, f"{file} imports the autograder's references"
        leaked = [line for line in lines if line in text]
        assert not leaked, f"{file} holds solution lines: {leaked}"
    hidden = hidden_test_cells(master)
    assert hidden, "the master has no hidden test"
    for source in hidden:
        name_line = re.search(r"def (\w+)\(", source).group(0)
        doc = re.search(r'"""(.+)', source).group(1)
        for file, text in shipped.items():
            assert doc not in text, f"{file} holds the hidden test {name_line}"


@pytest.mark.parametrize("name", sorted(MASTERS))
def test_blank_notebook_scores_zero_without_crashing(graded, name):
    result = graded[f"{name}/blank"]
    marks = questions(result)
    assert marks, "the grader reported no question"
    assert all(q["score"] == 0 for q in marks.values()), {k: q["score"] for k, q in marks.items()}
    assert all(q["max_score"] > 0 for q in marks.values())
    assert "Autograder Error" not in {t["name"] for t in result["tests"]}


@pytest.mark.parametrize("name, key", ALL_MISTAKES, ids=[f"{n}:{k}" for n, k in ALL_MISTAKES])
def test_a_named_mistake_loses_points_and_is_named(graded, name, key):
    spec = load_mistakes(name)
    mistake = spec["mistakes"][key]
    group = next(i for i, g in enumerate(bundles(spec)) if key in g)
    marks = questions(graded[f"{name}/bundle-{group}"])
    question = marks[mistake["question"]]
    assert question["score"] < question["max_score"], f"{key} scored full marks"
    assert mistake["expect"] in question["output"], \
        f"{key}: expected diagnosis not in the feedback:\n{question['output'][-4000:]}"


@pytest.mark.parametrize("name", sorted(n for n in MASTERS if (MISTAKES_DIR / f"{n}.yml").exists()))
def test_questions_without_a_mistake_keep_full_marks(graded, name):
    """In each bundle, a question untouched (directly or through its dependencies) scores full."""
    spec = load_mistakes(name)
    deps = {q: set(d) for q, d in spec["questions"].items()}
    for i, group in enumerate(bundles(spec)):
        touched = {spec["mistakes"][k]["question"] for k in group}
        marks = questions(graded[f"{name}/bundle-{i}"])
        assert set(marks) == set(deps), f"questions {set(marks)} vs the spec {set(deps)}"
        for q, mark in marks.items():
            if q not in touched and not deps[q] & touched:
                assert mark["score"] == mark["max_score"], (i, q, mark["output"][-2000:])


PAGE = ROOT / "docs" / "assignments.md"


def test_the_page_links_every_published_file_and_nothing_else(built):
    """The raw links of docs/assignments.md (not checked by mkdocs: the files are built by
    `make assignments`, after mkdocs) name exactly the files the build publishes, next to
    the page in site/assignments/."""
    page = PAGE.read_text(encoding="utf-8")
    linked = set(re.findall(r'<a href="\.\./assignments/([^"]+)"', page))
    published = {p.name for files in built.values() for p in files.values()}
    assert linked == published, (linked ^ published)


def test_the_page_quotes_every_named_mistake():
    """Each mistake's expected feedback is in the page's table, and the table has no extra rows."""
    page = PAGE.read_text(encoding="utf-8")
    rows = [line for line in page.splitlines() if line.startswith("| ") and line.count("|") == 5]
    quoted = {line.rsplit("|", 2)[1].strip() for line in rows} - {"the feedback contains", "---"}
    expected = {load_mistakes(name)["mistakes"][key]["expect"] for name, key in ALL_MISTAKES}
    assert expected <= quoted, f"not on the page: {expected - quoted}"
    assert quoted <= expected, f"on the page but not tested: {quoted - expected}"


def test_the_pages_workflow_publishes_the_assignments_after_the_last_build():
    steps = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())["jobs"]
    commands = [line.strip() for step in steps["build"]["steps"]
                for line in step.get("run", "").splitlines() if line.strip()]
    makes = [c.split()[1:] for c in commands if c.startswith("make ")]
    last = max((i for i, targets in enumerate(makes) if "assignments" in targets), default=None)
    assert last is not None, f"no make assignments in {commands}"
    later = [t for targets in makes[last + 1:] for t in targets if t in ("build", "pdf", "assignments")]
    assert not later, f"make {' '.join(later)} after make assignments would empty site/"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\nassignments: build\n" in makefile and "assignments/build.py site/assignments" in makefile


ALONE = r"""
import functools, http.server, json, os, sys, threading, traceback, zipfile
site, site_url, jobs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
server = http.server.ThreadingHTTPServer(
    ("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler, directory=site))
threading.Thread(target=server.serve_forever, daemon=True).start()
results = {}
for name, folder, solutions in jobs:
    os.chdir(folder)
    try:
        nb = json.load(open(f"{name}.ipynb"))
        setup = next("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        setup = setup.replace(site_url, f"http://127.0.0.1:{server.server_address[1]}/")
        env = {}
        exec(setup, env)                           # what Colab runs first
        with zipfile.ZipFile(os.path.join(site, f"{name}-student.zip")) as zf:
            shipped = [n for n in zf.namelist() if not n.endswith(".ipynb")]
        assert any(n.endswith("_feedback.py") for n in shipped), shipped
        missing = [n for n in shipped if not os.path.exists(n)]
        assert not missing, f"not downloaded: {missing}"
        for source in solutions:
            exec(source, env)
        result = env["grader"].check("q1", env)
        assert result.passed_all_public, result
        assert json.load(open(f"{name}.ipynb")) == nb, "the download overwrote the student's notebook"
        results[name] = "checked"
    except BaseException:
        results[name] = traceback.format_exc()
print(json.dumps(results))
"""


@pytest.fixture(scope="session")
def alone(built, tmp_path_factory) -> dict[str, str]:
    """As on Colab: each notebook alone in an empty folder, its first cell run (it downloads the
    student zip, here from a local server standing in for the site), then the first answer and
    grader.check("q1"). One Python process for all of them: one otter import, not one each."""
    import shutil
    jobs = []
    for name in sorted(MASTERS):
        folder = tmp_path_factory.mktemp(f"alone-{name}")
        shutil.copy(built[name]["notebook"], folder)
        master = read(MASTERS[name])
        first = solution_cells(master)[:1]
        needs = [c.source for c in master.cells if c.cell_type == "code"][1:]   # skip the setup
        prefix = [src for src in needs[: needs.index(first[0])] if "BEGIN SOLUTION" not in src]
        jobs.append([name, str(folder), prefix + first])
    site = built[sorted(MASTERS)[0]]["notebook"].parent
    proc = subprocess.run(
        [sys.executable, "-c", ALONE, str(site), deployed_site_url() + "assignments/",
         json.dumps(jobs)], capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sorted(MASTERS))
def test_a_notebook_alone_fetches_its_checks(alone, name):
    """The notebook alone fetches its checks, keeps the student's notebook, and grades q1."""
    assert alone[name] == "checked", alone[name]


def test_the_page_states_each_assignments_points_and_environment(built):
    """The points column is the sum of each master's question points; the autograder's
    environment holds the Python, otter-grader and numpy versions the page names."""
    import zipfile
    page = PAGE.read_text(encoding="utf-8")
    for name in MASTERS:
        points = sum(yaml.safe_load(c.source.split("\n", 1)[1])["points"]
                     for c in read(MASTERS[name]).cells
                     if c.cell_type == "raw" and c.source.startswith("# BEGIN QUESTION"))
        row = next(line for line in page.splitlines() if f'href="../assignments/{name}.ipynb"' in line)
        assert f"| {points} |" in row, (name, points)
        with zipfile.ZipFile(built[name]["autograder_zip"]) as zf:
            env = zf.read("environment.yml").decode()
        for pin in ("python=3.13", "otter-grader[grading,plugins]==7.0.0", "numpy==2.4.6"):
            assert pin in env, (name, pin)
    assert "Python 3.13, otter-grader 7.0.0 and numpy 2.4.6" in page

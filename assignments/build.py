"""Build the graded assignments: `otter assign` on every master notebook, published for the site.

Usage: python assignments/build.py [OUT_DIR] [NAME ...]      (OUT_DIR defaults to site/assignments)

For each master assignments/<name>.ipynb this writes, into OUT_DIR:
  <name>.ipynb             the student notebook (no solutions, no hidden tests)
  <name>-student.zip       the student notebook with its public tests and feedback modules
  <name>-autograder.zip    otter's autograder (every test): Gradescope, `otter run`, `otter grade`
`otter assign` runs each master's own tests on its solutions and fails unless they score full
marks, so a broken master stops the build. The masters are assigned by two worker processes,
each importing otter once and assigning its share one after the other.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# The feedback modules; a master ships the ones its `files:` lists.
SUPPORT = sorted(HERE.glob("*_feedback.py"))
# The site's snippets go into the autograder only, renamed so that a student file cannot
# shadow them: the hidden tests compare against reference_<snippet>.
REFERENCE_PREFIX = "reference_"


def masters() -> list[Path]:
    return sorted(HERE.glob("*.ipynb"))


def _zip_dir(src: Path, dest: Path) -> None:
    """A zip of src's files in sorted order, with a fixed date, so that it depends on content only."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in src.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(src).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())


ASSIGN = r"""
import json, pathlib, sys, traceback
from otter.assign import main
failed = {}
for master in json.loads(sys.argv[1]):
    try:
        main(master, str(pathlib.Path(master).parent / "dist"), no_pdfs=True)
    except BaseException:
        failed[master] = traceback.format_exc()
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(failed, f)
"""


def _stage(master: Path, stage: Path) -> Path:
    """A folder holding the master, the feedback modules and the snippets as reference_*.py."""
    stage.mkdir()
    shutil.copy(master, stage / master.name)
    for support in SUPPORT:
        shutil.copy(support, stage / support.name)
    for snippet in sorted((ROOT / "snippets").glob("*.py")):
        shutil.copy(snippet, stage / f"{REFERENCE_PREFIX}{snippet.name}")
    return stage / master.name


def _publish(master: Path, stage: Path, out_dir: Path) -> dict[str, Path]:
    """Copy the student notebook, a zip of its folder and the autograder zip into out_dir."""
    name = master.stem
    zips = list((stage / "dist" / "autograder").glob(f"{name}-autograder_*.zip"))
    if len(zips) != 1:
        raise RuntimeError(f"expected one autograder zip for {name}, found {zips}")
    student = stage / "dist" / "student"
    out_dir.mkdir(parents=True, exist_ok=True)
    published = {
        "notebook": out_dir / f"{name}.ipynb",
        "student_zip": out_dir / f"{name}-student.zip",
        "autograder_zip": out_dir / f"{name}-autograder.zip",
    }
    shutil.copy(student / f"{name}.ipynb", published["notebook"])
    _zip_dir(student, published["student_zip"])
    shutil.copy(zips[0], published["autograder_zip"])
    return published


def _assign_share(staged: list[Path], report: Path) -> dict[str, str]:
    """`otter assign` on each staged master, in one Python process; {master: error} of failures."""
    if not staged:
        return {}
    proc = subprocess.run([sys.executable, "-c", ASSIGN, json.dumps([str(m) for m in staged]),
                           str(report)], cwd=staged[0].parent, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0 or not report.exists():
        return {str(m): f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}" for m in staged}
    return json.loads(report.read_text(encoding="utf-8"))


def build(out_dir: Path, names: list[str] | None = None, jobs: int = 2) -> dict[str, dict[str, Path]]:
    """Assign every master (or the named ones) with `jobs` worker processes; return what was
    published. Raises RuntimeError with otter's output if any master fails."""
    chosen = [m for m in masters() if not names or m.stem in names]
    missing = set(names or ()) - {m.stem for m in chosen}
    if missing:
        raise SystemExit(f"no master notebook named {sorted(missing)} in {HERE}")
    with tempfile.TemporaryDirectory(prefix="assign-") as tmp:
        staged = [_stage(m, Path(tmp) / m.stem) for m in chosen]
        shares = [staged[i::jobs] for i in range(jobs)]
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            reports = list(pool.map(lambda i: _assign_share(shares[i], Path(tmp) / f"report-{i}.json"),
                                    range(jobs)))
        failed = {k: v for report in reports for k, v in report.items()}
        if failed:
            raise RuntimeError("otter assign failed:\n" + "\n".join(
                f"{Path(k).name}:\n{v}" for k, v in failed.items()))
        return {m.stem: _publish(m, stage.parent, Path(out_dir)) for m, stage in zip(chosen, staged)}


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "site" / "assignments"
    for name, files in build(out, sys.argv[2:]).items():
        print(f"{name}: " + ", ".join(str(p.relative_to(out)) for p in files.values()))
    print(f"wrote {out}")

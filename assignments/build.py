"""Build the graded assignments: `otter assign` on every master notebook, published for the site.

Usage: python assignments/build.py [OUT_DIR] [NAME ...]      (OUT_DIR defaults to site/assignments)

For each master assignments/<name>.ipynb this writes, into OUT_DIR:
  <name>.ipynb             the student notebook (no solutions, no hidden tests)
  <name>-student.zip       the student notebook with its public tests and backprop_feedback.py
  <name>-autograder.zip    otter's autograder (every test): Gradescope, `otter run`, `otter grade`
`otter assign` runs each master's own tests on its solutions and fails unless they score full
marks, so a broken master stops the build.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SUPPORT = HERE / "backprop_feedback.py"
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


def assign(master: Path, out_dir: Path) -> dict[str, Path]:
    """Run `otter assign` on one master in a staging directory; publish its three files."""
    name = master.stem
    with tempfile.TemporaryDirectory(prefix=f"assign-{name}-") as tmp:
        stage = Path(tmp)
        shutil.copy(master, stage / master.name)
        shutil.copy(SUPPORT, stage / SUPPORT.name)
        for snippet in sorted((ROOT / "snippets").glob("*.py")):
            shutil.copy(snippet, stage / f"{REFERENCE_PREFIX}{snippet.name}")
        proc = subprocess.run(
            [sys.executable, "-m", "otter", "assign", "--no-pdfs", master.name, "dist"],
            cwd=stage, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"otter assign failed for {master.name}:\n{proc.stdout[-3000:]}\n"
                               f"{proc.stderr[-6000:]}")
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


def build(out_dir: Path, names: list[str] | None = None, jobs: int = 2) -> dict[str, dict[str, Path]]:
    """Assign every master (or the named ones), `jobs` at a time; return what was published."""
    chosen = [m for m in masters() if not names or m.stem in names]
    missing = set(names or ()) - {m.stem for m in chosen}
    if missing:
        raise SystemExit(f"no master notebook named {sorted(missing)} in {HERE}")
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lambda m: assign(m, Path(out_dir)), chosen))
    return {m.stem: r for m, r in zip(chosen, results)}


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "site" / "assignments"
    for name, files in build(out, sys.argv[2:]).items():
        print(f"{name}: " + ", ".join(str(p.relative_to(out)) for p in files.values()))
    print(f"wrote {out}")

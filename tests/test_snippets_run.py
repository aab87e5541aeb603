"""Every snippet runs on its own as a script, as a reader who copies it would run it."""

import subprocess
import sys
from pathlib import Path

import pytest

SNIPPETS = sorted((Path(__file__).resolve().parent.parent / "snippets").glob("*.py"))


def test_there_are_snippets():
    assert SNIPPETS, "snippets/ holds no .py file"


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda p: p.name)
def test_snippet_runs_as_a_script(snippet, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-I", str(snippet)],  # -I: only numpy + stdlib on the path
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, f"{snippet.name} exited {proc.returncode}:\n{proc.stderr}"
    assert proc.stdout.strip(), f"{snippet.name} printed nothing: its __main__ block should show a worked example"
    assert not list(tmp_path.iterdir()), f"{snippet.name} wrote files into its working directory"


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda p: p.name)
def test_snippet_is_standalone(snippet):
    """Only numpy and the standard library are imported, and the file says where it is used."""
    source = snippet.read_text(encoding="utf-8")
    imports = {line.split()[1].split(".")[0] for line in source.splitlines()
               if line.startswith(("import ", "from "))}
    allowed = set(sys.stdlib_module_names) | {"numpy", "__future__"}
    assert imports <= allowed, f"{snippet.name} imports {sorted(imports - allowed)}"
    assert "Used in:" in source, f"{snippet.name} lacks a 'Used in:' line naming its page"
    assert 'if __name__ == "__main__":' in source

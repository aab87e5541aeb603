"""The GitHub workflows are valid and run what the README says."""

import subprocess
import sys
from pathlib import Path

import yaml

WORKFLOWS = sorted((Path(__file__).resolve().parent.parent / ".github" / "workflows").glob("*.yml"))


def test_workflows_match_the_github_schema():
    checker = Path(sys.executable).with_name("check-jsonschema")
    proc = subprocess.run([str(checker), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_schema_check_can_fail(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("name: x\non: push\njobs:\n  t:\n    steps: []\n")  # no runs-on
    checker = Path(sys.executable).with_name("check-jsonschema")
    proc = subprocess.run([str(checker), "--builtin-schema", "vendor.github-workflows", str(bad)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode != 0


def test_ci_runs_the_readme_test_command_on_push_pr_and_weekly():
    test = yaml.safe_load((WORKFLOWS[0].parent / "test.yml").read_text())
    triggers = test[True]  # YAML 1.1 reads the key `on` as True
    assert {"push", "pull_request", "schedule"} <= set(triggers)
    steps = [s.get("run", "") for s in test["jobs"]["test"]["steps"]]
    assert "make test" in steps
    readme = (WORKFLOWS[0].parents[2] / "README.md").read_text()
    assert "make test" in readme and "make serve" in readme
    ci = (WORKFLOWS[0].parents[2] / ".ci" / "run").read_text()
    assert "make test" in ci


def test_pages_deploys_from_main():
    pages = yaml.safe_load((WORKFLOWS[0].parent / "pages.yml").read_text())
    assert pages[True]["push"]["branches"] == ["main"]
    assert "deploy" in pages["jobs"]

"""The build needs no network, building twice gives the same bytes, and the build cache
changes no byte.

Two builds besides the suite's shared one (site_dir, which uses the project's .cache):

- the clean build starts from an empty build cache (BUILD_CACHE_DIR), so every formula,
  font and notebook is computed afresh. Where `unshare -n` works it runs in a new network
  namespace with only loopback up (the notebook kernel talks to the build over 127.0.0.1):
  nothing outside the machine is reachable, so any fetch at build time fails it.
- the warm build uses the cache the clean build filled. It must write exactly the clean
  build's bytes, every file, and must not have needed to add anything to the cache.

The shared site against the clean build is the reproducibility check: two builds of one
commit give the same bytes, except where a notebook's output legitimately varies.
"""

from __future__ import annotations

import filecmp
import hashlib
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import BUILD_ENV, ROOT

# One worker builds the clean site once for every test here (pytest-xdist).
pytestmark = pytest.mark.xdist_group("clean build")

# Files that legitimately differ between two builds that each run the notebooks, and why.
LEGITIMATELY_DIFFERENT = {
    "notebooks/digits-from-scratch/index.html": "the notebook prints its measured training time",
    "notebooks/two-three-two-network/index.html": "a slow kernel can send one cell's printed lines as two "
                                                  "output blocks instead of one",
    "print_page/index.html": "it holds the notebook pages",
    "search/search_index.json": "it indexes the notebook pages",
}


def can_unshare() -> bool:
    if not shutil.which("unshare") or not shutil.which("ip"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False).returncode == 0


def build(site: Path, cache: Path, offline: bool) -> subprocess.CompletedProcess:
    env = {**BUILD_ENV, "BUILD_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)]
    if not offline:
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    script = (f"ip link set lo up && {sys.executable} -c \"import socket; socket.create_connection(('pypi.org', 443), 3)\""
              " 2>/dev/null && echo NETWORK-REACHABLE; " + " ".join(command))
    return subprocess.run(["unshare", "-n", "sh", "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900, check=False)


@pytest.fixture(scope="module")
def clean_build(tmp_path_factory) -> SimpleNamespace:
    folder = tmp_path_factory.mktemp("clean")
    offline = can_unshare()
    proc = build(folder / "site", folder / "cache", offline)
    return SimpleNamespace(site=folder / "site", cache=folder / "cache", offline=offline, proc=proc)


def checked(clean_build) -> Path:
    assert clean_build.proc.returncode == 0, clean_build.proc.stderr[-4000:]
    return clean_build.site


def test_build_passes_with_the_network_cut(clean_build):
    if not clean_build.offline:
        pytest.skip("needs `unshare -n` (root, util-linux) and `ip` (iproute2)")
    assert "NETWORK-REACHABLE" not in clean_build.proc.stdout, "the namespace did not cut the network"
    assert (checked(clean_build) / "affine-layer" / "index.html").exists()


def differing_files(a: Path, b: Path) -> list[str]:
    out = []
    for path in sorted(p for p in a.rglob("*") if p.is_file()):
        rel = path.relative_to(a).as_posix()
        other = b / rel
        if not other.exists() or not filecmp.cmp(path, other, shallow=False):
            out.append(rel)
    out += [p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file() and not (a / p.relative_to(b)).exists()]
    return out


def test_two_builds_are_byte_identical(site_dir: Path, clean_build):
    unexpected = [f for f in differing_files(site_dir, checked(clean_build)) if f not in LEGITIMATELY_DIFFERENT]
    assert not unexpected, f"files that differ between two builds: {unexpected}"


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_warm_build_cache_changes_no_byte(clean_build, tmp_path):
    """Every page's Markdown conversion, formula, cut font, phone layout and executed
    notebook comes from the cache the clean build filled (the cache is unchanged
    afterwards: nothing was missing), and every file of the site is byte for byte the
    clean build's."""
    clean = checked(clean_build)
    before = snapshot(clean_build.cache)
    namespaces = {k.split("/")[0] for k in before}
    assert {"katex", "katex-fonts", "markdown", "phone-layout", "notebooks"} <= namespaces, sorted(before)
    proc = build(tmp_path / "warm", clean_build.cache, offline=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert snapshot(clean_build.cache) == before, "the warm build had to compute something again"
    assert differing_files(clean, tmp_path / "warm") == []


def test_sitemap_is_dated_by_source_date_epoch(site_dir: Path):
    """The build date is SOURCE_DATE_EPOCH (the last commit), not the clock."""
    expected = datetime.fromtimestamp(int(BUILD_ENV["SOURCE_DATE_EPOCH"]), timezone.utc).strftime("%Y-%m-%d")
    dates = set(re.findall(r"<lastmod>([^<]+)</lastmod>", (site_dir / "sitemap.xml").read_text(encoding="utf-8")))
    assert dates == {expected}

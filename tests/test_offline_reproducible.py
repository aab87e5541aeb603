"""The build needs no network, and building twice gives the same bytes.

The offline build runs in a new network namespace (`unshare -n`) with only loopback up
(the notebook kernel talks to the build over 127.0.0.1): nothing outside the machine
is reachable, so any fetch at build time fails the build.
"""

from __future__ import annotations

import filecmp
import re
import shutil
import subprocess
import sys
from pathlib import Path

from datetime import datetime, timezone

import pytest

from conftest import BUILD_ENV, ROOT

# Files that legitimately differ between two builds, and why.
LEGITIMATELY_DIFFERENT = {
    "notebooks/digits-from-scratch/index.html": "the notebook prints its measured training time",
    "print_page/index.html": "it holds the digits notebook page, training time included",
    "search/search_index.json": "it indexes the digits notebook page, training time included",
}


def can_unshare() -> bool:
    if not shutil.which("unshare") or not shutil.which("ip"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not can_unshare(), reason="needs `unshare -n` (root, util-linux) and `ip` (iproute2)")
def test_build_passes_with_the_network_cut(tmp_path):
    build = (f"ip link set lo up && {sys.executable} -c \"import socket; socket.create_connection(('pypi.org', 443), 3)\""
             " 2>/dev/null && echo NETWORK-REACHABLE; "
             f"{sys.executable} -m mkdocs build --strict --site-dir {tmp_path / 'site'}")
    proc = subprocess.run(["unshare", "-n", "sh", "-c", build], cwd=ROOT, env=BUILD_ENV,
                          capture_output=True, text=True, timeout=900, check=False)
    assert "NETWORK-REACHABLE" not in proc.stdout, "the namespace did not cut the network"
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert (tmp_path / "site" / "affine-layer" / "index.html").exists()


def differing_files(a: Path, b: Path) -> list[str]:
    out = []
    for path in sorted(p for p in a.rglob("*") if p.is_file()):
        rel = path.relative_to(a).as_posix()
        other = b / rel
        if not other.exists() or not filecmp.cmp(path, other, shallow=False):
            out.append(rel)
    out += [p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file() and not (a / p.relative_to(b)).exists()]
    return out


def test_two_builds_are_byte_identical(site_dir: Path, tmp_path: Path):
    second = tmp_path / "second"
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(second)],
                          cwd=ROOT, env=BUILD_ENV, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    unexpected = [f for f in differing_files(site_dir, second) if f not in LEGITIMATELY_DIFFERENT]
    assert not unexpected, f"files that differ between two builds: {unexpected}"


def test_sitemap_is_dated_by_source_date_epoch(site_dir: Path):
    """The build date is SOURCE_DATE_EPOCH (the last commit), not the clock."""
    expected = datetime.fromtimestamp(int(BUILD_ENV["SOURCE_DATE_EPOCH"]), timezone.utc).strftime("%Y-%m-%d")
    dates = set(re.findall(r"<lastmod>([^<]+)</lastmod>", (site_dir / "sitemap.xml").read_text(encoding="utf-8")))
    assert dates == {expected}

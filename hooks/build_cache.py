"""The build's on-disk cache, under .cache/ beside mkdocs.yml (git-ignored).

Not a hook itself: markdown_cache.py, katex.py, phone_layout.py and notebooks.py import
it. Every entry is keyed by a hash of everything its value is computed from: the input,
the source of the code that computes it (the hook's own file) and the versions of the
tools involved. An entry can therefore only be reused for exactly the same computation,
and a build with a warm cache writes the same bytes as a clean one
(tests/test_offline_reproducible.py builds both and compares them byte for byte).
Entries a build did not use are dropped at its end, so the cache holds one site's worth.

BUILD_CACHE_DIR=<folder> puts the cache there (an empty folder gives a clean build);
BUILD_CACHE_DIR=off builds without one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from importlib import metadata
from pathlib import Path

from mkdocs.exceptions import PluginError

ENV = "BUILD_CACHE_DIR"


def root(config) -> Path | None:
    """The cache folder of this build, or None when the cache is off."""
    setting = os.environ.get(ENV, "")
    if setting == "off":
        return None
    return Path(setting) if setting else Path(config.config_file_path).resolve().parent / ".cache"


def digest(*parts: str | bytes) -> str:
    """sha256 over the parts, each prefixed with its length (so no two lists collide)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def versions(*distributions: str) -> str:
    """'name==version' of each installed distribution ('name==missing' if it is not)."""
    out = []
    for name in distributions:
        try:
            out.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name}==missing")
    return ",".join(out)


def write_atomically(path: Path, data: bytes) -> None:
    """Write via a temporary file and a rename: a reader (another build running at the
    same time) sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Table:
    """A dict of JSON values stored in one file per namespace key; the namespace key
    covers the code and tools, each entry key the input. `save()` keeps only the entries
    used since `load()` and removes the files of other namespaces."""

    def __init__(self, folder: Path | None, namespace: str):
        self.folder, self.namespace = folder, namespace
        self.path = folder / f"{namespace}.json" if folder else None
        self.stored: dict = {}
        self.used: dict = {}
        self.changed = False
        if self.path and self.path.exists():
            try:
                self.stored = json.loads(self.path.read_text(encoding="utf-8"))
            except ValueError as error:
                raise PluginError(f"build cache: {self.path} is not valid JSON ({error}); delete it") from None

    def get(self, key: str):
        if key in self.stored:
            self.used[key] = self.stored[key]
            return self.stored[key]
        return None

    def put(self, key: str, value) -> None:
        self.used[key] = value
        self.changed = True

    def save(self) -> None:
        if self.path is None:
            return
        if self.changed or set(self.used) != set(self.stored):
            write_atomically(self.path, json.dumps(self.used, sort_keys=True).encode("utf-8"))
        for other in self.folder.glob("*.json"):
            if other != self.path:
                other.unlink(missing_ok=True)

"""Measure the site: build and rebuild times, per-page weight and load, Lighthouse scores, test-suite time.

Prints a table; asserts nothing (these machines are noisy). Run with `make bench`.
Options: --skip-lighthouse, --skip-tests, --skip-serve, --runs N (Lighthouse runs per page
and form factor).

Build times: the cold build starts from an empty build cache (BUILD_CACHE_DIR), so it runs
the notebooks and renders every formula; the warm build uses the cache the cold one
filled. The rebuilds are timed the way an author sees them: `mkdocs serve` runs (as
`make serve` starts it), the bench saves an edit to a page or a snippet and polls the
page until the server hands out the rebuilt version; the time from the save to that
response is printed (median of 3 saves). The edits are invisible (an HTML comment, a
Python comment) and every file is restored afterwards. A snippet that a notebook imports
makes that notebook run again, so two snippets are timed: one no notebook imports and
one both notebooks import.

One Lighthouse run of the same page on the same machine can score 10 points apart from
the next (mobile performance on the long pages ranged 74-92 in a row), so each page is
run N times (default 3) and the table shows the median score, with the lowest and
highest performance score beside it and the largest layout shift seen. The print view
(print_page, the whole site on one page) is weighed but not run through Lighthouse: it
is a page for printing, and Lighthouse times out on it.

Bytes are counted as a static host with gzip would send them: every resource the page
requests (seen by chromium) is read from the built site and gzipped if it is text.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import resource
import socket
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
TEXT = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".ipynb")
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """A static host: text compressed with gzip when the client accepts it."""

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix in TEXT and path.exists() and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(path.read_bytes(), mtime=0)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=3600")
            self.end_headers()
            return _Body(body)
        return super().send_head()


class _Body:
    def __init__(self, data: bytes):
        self.data = data

    def read(self, *_):
        data, self.data = self.data, b""
        return data

    def close(self):
        pass


def serve(directory: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(GzipHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def source_date_epoch() -> str:
    out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True,
                         check=False).stdout.strip()
    return out if out.isdigit() else "1700000000"


ENV["SOURCE_DATE_EPOCH"] = os.environ.get("SOURCE_DATE_EPOCH") or source_date_epoch()


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(site: Path, cache: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one strict build with the given build cache."""
    start, cpu = time.perf_counter(), children_cpu()
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                   cwd=ROOT, env={**ENV, "BUILD_CACHE_DIR": str(cache)}, check=True, capture_output=True)
    return time.perf_counter() - start, children_cpu() - cpu


# --- rebuilds under mkdocs serve ------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8", errors="replace")
    except OSError:
        return None


def wait_for(url: str, marker: str | None, timeout: float) -> float | None:
    """Seconds until `url` answers (and holds `marker`); None on timeout."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        text = fetch(url)
        if text is not None and (marker is None or marker in text):
            return time.perf_counter() - start
        time.sleep(0.05)
    return None


# (what is saved, the page that shows it, how the edit is written)
EDITS = [
    ("docs/affine-layer.md", "affine-layer/", "\n<!-- bench edit {n} -->\n"),
    ("snippets/bias_gradient.py", "bias-broadcast/", "\n# bench edit {n}\n"),
    ("snippets/affine.py", "affine-layer/", "\n# bench edit {n}\n"),
]


def tree_cpu(pid: int) -> float:
    """CPU seconds so far of a process and its living children (psutil, from ipykernel)."""
    import psutil

    total = 0.0
    try:
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            try:
                times = process.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
            except psutil.Error:
                pass
    except psutil.Error:
        pass
    return total


def serve_rebuilds(cache: Path, saves: int = 3) -> dict[str, list[tuple[float | None, float]]]:
    """(seconds from saving an edit to `mkdocs serve` serving the rebuilt page, CPU seconds
    the server spent meanwhile), per edit."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}"], cwd=ROOT,
        env={**ENV, "SITE_URL": base, "BUILD_CACHE_DIR": str(cache)}, stdout=log, stderr=subprocess.STDOUT)
    originals = {path: (ROOT / path).read_bytes() for path, _, _ in EDITS}
    times: dict[str, list[tuple[float | None, float]]] = {path: [] for path, _, _ in EDITS}
    try:
        if wait_for(base, None, 600) is None:
            raise RuntimeError("mkdocs serve did not start")
        n = 0
        for path, page, edit in EDITS:
            for _ in range(saves):
                n += 1
                marker = edit.format(n=n).strip()
                time.sleep(1.0)  # the server's file watcher settles after the previous rebuild
                saved, cpu = time.perf_counter(), tree_cpu(server.pid)
                (ROOT / path).write_bytes(originals[path] + edit.format(n=n).encode())
                shown = wait_for(base + page, marker, 300)
                times[path].append((None if shown is None else time.perf_counter() - saved,
                                    tree_cpu(server.pid) - cpu))
            (ROOT / path).write_bytes(originals[path])
    finally:
        for path, data in originals.items():
            (ROOT / path).write_bytes(data)
        server.terminate()
        server.wait(timeout=30)
    return times


def pages(site: Path) -> list[str]:
    return sorted(p.parent.relative_to(site).as_posix() for p in site.rglob("index.html")
                  if "search" not in p.parts)


def transferred(site: Path, url: str) -> int:
    path = site / unquote(urlparse(url).path).lstrip("/")
    if path.is_dir():
        path = path / "index.html"
    if not path.exists():
        return 0
    data = path.read_bytes()
    return len(gzip.compress(data, mtime=0)) if path.suffix in TEXT else len(data)


def weigh(site: Path, base: str, page_dirs: list[str]) -> list[dict]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for page_dir in page_dirs:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            urls: list[str] = []
            page.on("request", lambda r: urls.append(r.url))
            page.goto(f"{base}/{'' if page_dir == '.' else page_dir + '/'}", wait_until="networkidle")
            page.wait_for_function("performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
            load_ms = page.evaluate("(() => { const t = performance.getEntriesByType('navigation')[0];"
                                    " return t.loadEventEnd - t.startTime; })()")
            local = [u for u in urls if u.startswith(base)]
            rows.append({"page": page_dir, "requests": len(urls), "bytes": sum(transferred(site, u) for u in local),
                         "load_ms": load_ms, "remote": len(urls) - len(local)})
            context.close()
        browser.close()
    return rows


def lighthouse_once(node: str, cli: Path, url: str, form: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = [node, str(cli), url, "--quiet", "--output=json", f"--output-path={out}",
               "--chrome-flags=--headless=new " + " ".join(ARGS),
               "--only-categories=performance,accessibility,best-practices,seo",
               "--max-wait-for-load=90000"]
        if form == "desktop":
            cmd.append("--preset=desktop")
        proc = subprocess.run(cmd, env={**ENV, "CHROME_PATH": CHROMIUM}, capture_output=True, text=True,
                              timeout=600, check=False)
        if proc.returncode != 0 or not out.exists():
            return {"error": proc.stderr.strip().splitlines()[-1:]}
        report = json.loads(out.read_text())
    cats, audits = report["categories"], report["audits"]
    return {**{k: round(100 * (cats[k]["score"] or 0)) for k in cats},
            "cls": audits["cumulative-layout-shift"]["numericValue"],
            **{m: audits[m]["numericValue"] for m in ("first-contentful-paint", "largest-contentful-paint",
                                                       "total-blocking-time")}}


def summarize(runs: list[dict]) -> dict:
    """Median of each score over the runs; the range of performance; the largest CLS."""
    good = [r for r in runs if "error" not in r]
    if not good:
        return runs[-1]
    summary = {k: statistics.median(r[k] for r in good) for k in good[0]}
    summary.update(cls=max(r["cls"] for r in good), perf_min=min(r["performance"] for r in good),
                   perf_max=max(r["performance"] for r in good), runs=len(good))
    return summary


def lighthouse(base: str, page_dirs: list[str], runs: int) -> dict:
    bench = ROOT / "bench"
    if not (bench / "node_modules" / "lighthouse").exists():
        npm = shutil.which("npm", path=str(Path(sys.executable).parent)) or "npm"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=bench, check=True)
    cli = bench / "node_modules" / "lighthouse" / "cli" / "index.js"
    node = shutil.which("node", path=str(Path(sys.executable).parent)) or "node"
    scores = {}
    for page_dir in page_dirs:
        url = f"{base}/{'' if page_dir == '.' else page_dir + '/'}"
        for form in ("desktop", "mobile"):
            scores[(page_dir, form)] = summarize([lighthouse_once(node, cli, url, form) for _ in range(runs)])
    return scores


NOT_LIGHTHOUSED = {"print_page"}
TARGETS = {"desktop": 98, "mobile": 95}


def print_misses(scores: dict) -> None:
    """Which pages miss which Lighthouse target (performance 98/95, accessibility 100, CLS 0)."""
    misses = {"performance": [], "accessibility": [], "cls": [], "error": []}
    for (page, form), s in sorted(scores.items()):
        if "error" in s:
            misses["error"].append(f"{page} ({form})")
            continue
        if s["performance"] < TARGETS[form]:
            misses["performance"].append(
                f"{page} ({form} {s['performance']:.0f}: FCP {s['first-contentful-paint'] / 1000:.1f} s, "
                f"LCP {s['largest-contentful-paint'] / 1000:.1f} s, TBT {s['total-blocking-time']:.0f} ms)")
        if s["accessibility"] < 100:
            misses["accessibility"].append(f"{page} ({form} {s['accessibility']:.0f})")
        if s["cls"] > 0.0005:
            misses["cls"].append(f"{page} ({form} {s['cls']:.3f})")
    for target, pages in misses.items():
        print(f"misses {target}:" + (" none" if not pages else "".join(f"\n  {p}" for p in pages)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-lighthouse", action="store_true")
    parser.add_argument("--skip-tests", action="store_true")
    parser.add_argument("--skip-serve", action="store_true")
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page and form factor")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        site, cache = Path(tmp) / "site", Path(tmp) / "cache"
        cold, cold_cpu = build(Path(tmp) / "cold", cache)
        print(f"cold build (mkdocs build --strict, empty build cache, notebooks executed): "
              f"{cold:.1f} s (CPU {cold_cpu:.1f} s)")
        warm, warm_cpu = build(site, cache)
        print(f"warm build (the cold build's cache): {warm:.1f} s (CPU {warm_cpu:.1f} s)")
        if not args.skip_serve:
            for path, runs in serve_rebuilds(cache).items():
                shown = [f"{s:.1f}" if s is not None else "timeout" for s, _ in runs]
                good = sorted(s for s, _ in runs if s is not None)
                median = f"{statistics.median(good):.1f} s" if good else "timeout"
                cpu = statistics.median(c for _, c in runs)
                print(f"mkdocs serve, save {path} -> rebuilt page served: {median} "
                      f"(each: {', '.join(shown)} s; server CPU {cpu:.1f} s)")
        print()
        server, base = serve(site)
        page_dirs = pages(site)
        rows = weigh(site, base, page_dirs)
        scores = {} if args.skip_lighthouse else lighthouse(
            base, [d for d in page_dirs if d not in NOT_LIGHTHOUSED], max(1, args.runs))
        server.shutdown()
        index_kb = transferred(site, f"{base}/search/search_index.json") / 1024

    header = f"{'page':44} {'KB gz':>7} {'req':>4} {'load ms':>8}"
    if scores:
        header += "  desktop perf (range)/a11y/bp/seo/CLS  mobile perf (range)/a11y/bp/seo/CLS"
    print(header)
    for row in rows:
        line = f"{row['page']:44} {row['bytes'] / 1024:7.1f} {row['requests']:4d} {row['load_ms']:8.0f}"
        for form in ("desktop", "mobile") if scores else ():
            s = scores.get((row["page"], form))
            line += "   " + ("(print view: not run)".ljust(34) if s is None else
                             "error: " + " ".join(s["error"]) if "error" in s else
                             f"{s['performance']:3.0f} ({s['perf_min']:.0f}-{s['perf_max']:.0f})/{s['accessibility']:3.0f}/"
                             f"{s['best-practices']:3.0f}/{s['seo']:3.0f}/{s['cls']:.3f}".ljust(34))
        if row["remote"]:
            line += f"  ({row['remote']} REMOTE requests)"
        print(line)
    heaviest = max((r for r in rows if not r["page"].startswith(("notebooks", "print_page"))), key=lambda r: r["bytes"])
    print(f"\nheaviest derivation page: {heaviest['page']} at {heaviest['bytes'] / 1024:.1f} KB (target <= 250 KB)")
    print(f"search index: {index_kb:.1f} KB gz, fetched only when a reader first uses search")
    if scores:
        runs = max((s.get("runs", 1) for s in scores.values()), default=1)
        print(f"Lighthouse: median of {runs} runs per page and form factor; CLS is the largest seen")
        print_misses(scores)

    if not args.skip_tests:
        start, cpu = time.perf_counter(), children_cpu()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=ROOT, env=ENV,
                              capture_output=True, text=True, check=False)
        summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-200:]
        load = os.getloadavg()[1]
        print(f"test suite: {time.perf_counter() - start:.0f} s, CPU {children_cpu() - cpu:.0f} s, "
              f"{os.cpu_count()} cores, load average over 5 min {load:.1f} ({summary})")


if __name__ == "__main__":
    main()

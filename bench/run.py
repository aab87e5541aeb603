"""Measure the site: build time, per-page weight and load, Lighthouse scores, test-suite time.

Prints a table; asserts nothing (these machines are noisy). Run with `make bench`.
Options: --skip-lighthouse, --skip-tests, --runs N (Lighthouse runs per page and form factor).

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
import tempfile
import threading
import time
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


def build(site: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                   cwd=ROOT, env=ENV, check=True, capture_output=True)
    return time.perf_counter() - start


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
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page and form factor")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        build_s = build(site)
        print(f"build (mkdocs build --strict, notebooks executed): {build_s:.1f} s\n")
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
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=ROOT, env=ENV,
                              capture_output=True, text=True, check=False)
        summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-200:]
        print(f"test suite: {time.perf_counter() - start:.0f} s ({summary})")


if __name__ == "__main__":
    main()

"""Make mkdocs-jupyter's notebook pages as light as the other pages and match their theme.

mkdocs-jupyter inlines JupyterLab's whole stylesheet (~600 KB), a MathJax configuration,
require.js and a clipboard web component into every notebook page. This hook removes
all of that: math is typeset by hooks/katex.py, the layout comes from the small
notebook section of docs/assets/site.css (written against the theme's colour
variables, so notebooks follow the light/dark palette), and code cells become the
theme's own code blocks, with its copy button.

It also puts a download link and an "Open in Colab" link (derived from repo_url) at the
top of each notebook page.

mkdocs-jupyter keeps each executed notebook in a cache keyed by the notebook and its own
settings, but not by the snippets the notebook imports: after a snippet changed, the
site showed the outputs of the old code. ``on_config`` moves that cache into a folder of
the build cache (build_cache.py) named by a hash of the snippets the notebooks import
(and what those import), of Python's version and of every installed package's version,
so a notebook runs again exactly when one of those changed. It fails the build if the
plugin no longer has the cache settings this relies on.
"""

from __future__ import annotations

import ast
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import urlparse

import build_cache
from mkdocs.exceptions import PluginError

DROP = [
    re.compile(r"<style\b.*?</style>", re.DOTALL),
    re.compile(r"<script\b.*?</script>", re.DOTALL),
    re.compile(r"<!--.*?-->", re.DOTALL),
    re.compile(r'<div class="zeroclipboard-container">.*?</clipboard-copy>\s*</div>', re.DOTALL),
    re.compile(r'<div class="clipboard-copy-txt" id="[^"]*">.*?</div>', re.DOTALL),
]
CODE = re.compile(r'<div class="highlight-ipynb hl-(\w+)"><pre>(.*?)</pre></div>', re.DOTALL)
NO_ALT = 'alt="No description has been provided for this image"'


def _links(page, config) -> str:
    name = page.file.src_uri.rsplit("/", 1)[-1]
    repo = urlparse(config["repo_url"] or "")
    if repo.netloc != "github.com":
        raise PluginError("notebooks hook: repo_url must be a github.com repository to build the Colab link")
    colab = f"https://colab.research.google.com/github{repo.path.rstrip('/')}/blob/main/docs/{page.file.src_uri}"
    return (
        '<p class="nb-links">'
        f'<a class="md-button" href="{name}" download>Download {name}</a> '
        f'<a class="md-button" href="{colab}" rel="noopener">Open in Colab</a>'
        "</p>"
    )


def on_page_content(content: str, page, config, files) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return content
    for pattern in DROP:
        content = pattern.sub("", content)
    content, found = CODE.subn(
        lambda m: f'<div class="language-{m.group(1)} highlight"><pre><code>{m.group(2)}</code></pre></div>',
        content,
    )
    if "<clipboard-copy" in content or "jp-" not in content:
        raise PluginError(f"notebooks hook: unexpected mkdocs-jupyter markup in {page.file.src_uri}; "
                          "update hooks/notebooks.py")
    content = content.replace(NO_ALT, 'alt="Figure produced by the code cell above"')
    heading = re.search(r"</h1>", content)
    links = _links(page, config)
    if heading:
        return content[: heading.end()] + links + content[heading.end():]
    return links + content


# --- the executed notebooks' cache, keyed by the snippets they import ---------------------

PLUGIN = "mkdocs-jupyter"
_notebook_cache: Path | None = None


def imported_modules(source: str) -> set[str] | None:
    """Top-level names of the modules `source` imports; None if it is not plain Python."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def notebook_snippets(notebooks: list[Path], snippets: Path) -> list[Path]:
    """The snippet files the notebooks import, directly or through another snippet; every
    snippet when some code cell cannot be read as Python (then any of them may be used)."""
    import nbformat

    available = {p.stem: p for p in snippets.glob("*.py")}
    wanted: set[str] = set()
    for path in notebooks:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            names = imported_modules(code)
            if names is None:
                return sorted(available.values())
            wanted |= names & set(available)
    todo = list(wanted)
    while todo:
        names = imported_modules(available[todo.pop()].read_text(encoding="utf-8"))
        if names is None:  # not valid Python: it may import anything
            names = set(available)
        for name in (names & set(available)) - wanted:
            wanted.add(name)
            todo.append(name)
    return sorted(available[name] for name in wanted)


def on_config(config):
    global _notebook_cache
    _notebook_cache = None
    plugin = config.plugins.get(PLUGIN)
    if plugin is None:
        return config
    if not {"cache", "cache_dir"} <= set(plugin.config):
        raise PluginError(f"notebooks hook: {PLUGIN} has no cache/cache_dir settings any more; update hooks/notebooks.py")
    folder = build_cache.root(config)
    if folder is None:
        plugin.config["cache"] = False
        return config
    docs = Path(config.docs_dir)
    notebooks = sorted(p for p in docs.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    snippets = Path(config.config_file_path).resolve().parent / "snippets"
    imported = notebook_snippets(notebooks, snippets) if snippets.is_dir() else []
    # every installed package and its version, as the names of their .dist-info folders
    environment = sorted(p.name for entry in sys.path if Path(entry or ".").is_dir()
                         for p in Path(entry or ".").glob("*.dist-info"))
    key = build_cache.digest(sys.version, *environment,
                             *(part for p in imported for part in (p.name, p.read_bytes())))
    _notebook_cache = folder / "notebooks" / key
    plugin.config["cache_dir"] = str(_notebook_cache)
    return config


def on_post_build(config) -> None:
    """Keep only the executed notebooks of the current snippets and packages."""
    if _notebook_cache is None or not _notebook_cache.parent.is_dir():
        return
    for other in _notebook_cache.parent.iterdir():
        if other != _notebook_cache and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)

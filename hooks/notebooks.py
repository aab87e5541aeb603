"""Make mkdocs-jupyter's notebook pages as light as the other pages and match their theme.

mkdocs-jupyter inlines JupyterLab's whole stylesheet (~600 KB), a MathJax configuration,
require.js and a clipboard web component into every notebook page. This hook removes
all of that: math is typeset by hooks/katex.py, the layout comes from the small
notebook section of docs/assets/site.css (written against the theme's colour
variables, so notebooks follow the light/dark palette), and code cells become the
theme's own code blocks, with its copy button.

It also puts a download link and an "Open in Colab" link (derived from repo_url) at the
top of each notebook page.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

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

"""Markup fixes for mkdocs-material that configuration and CSS cannot make.

1. The repository link in the header carries data-md-component="source", which makes
   the theme's script ask api.github.com for stars and forks: a third-party request
   from every page. The hook drops the attribute; the link stays a plain link.
2. The search overlay is a role="dialog" without an accessible name (axe:
   aria-dialog-name). The hook names it.

Each fix fails the build if the markup it expects is gone, so a theme update cannot
silently undo it.
"""

from mkdocs.exceptions import PluginError

FIXES = [
    ('class="md-source" data-md-component="source"', 'class="md-source"'),
    ('<div class="md-search" data-md-component="search" role="dialog">',
     '<div class="md-search" data-md-component="search" role="dialog" aria-label="Search the site">'),
]


def on_post_page(output: str, page, config) -> str:
    if 'class="md-header' not in output:  # not a theme page (e.g. a redirect)
        return output
    for old, new in FIXES:
        if old not in output:
            raise PluginError(f"theme hook: expected markup {old!r} not found on {page.file.src_uri}; "
                              "the theme changed, update hooks/theme.py")
        output = output.replace(old, new)
    return output

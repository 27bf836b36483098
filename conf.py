"""Sphinx configuration for the convbook book.

This file lives at the repository ROOT; the pages live in docs/:

    sphinx-build -b html -c . docs _build/html        (what `make html` runs)

Paths below are resolved against this directory (the conf dir):
html_static_path, templates_path, bibtex_bibfiles.  exclude_patterns is
relative to docs/.

Settings only: the build's own work (the engine fingerprint and the
execution cache it names, the import guard, the kernel path, collecting and
reporting the checked claims) lives in the extensions in docs/_ext.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))  # the book's own Sphinx extensions

# -- Project ------------------------------------------------------------------

project = "How do subsequent convolution layers work?"
author = "The convbook authors"
copyright = "2026, The convbook authors"
release = version = "0.1.0"

root_doc = "index"  # docs/index.md

extensions = [
    # docs/_ext, first: stops the build unless convbook is this checkout's
    # src/convbook; names the execution cache after the engine's fingerprint
    # (src/convbook, installed versions, Python), so a changed engine re-runs
    # every page. Sets nb_execution_cache_path.
    "convbook_cache",
    "myst_nb",  # brings myst_parser; do not list both
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinxcontrib.bibtex",
    "sphinx_copybutton",
    "sphinx_design",
    # docs/_ext: MathJax 3 served by the site (no CDN), only the part readers'
    # browsers load (see mathjax_path below), taken from the files of the
    # sphinx-mathjax-offline distribution.
    "convbook_mathjax",
    # docs/_ext: collects every "✓ checked" claim of the executed pages; gives
    # {checkcount}`page` (front page) and {verification-report}; fails the
    # build listing every claim that does not hold, and ends a good build
    # with a summary of what was verified.
    "convbook_checks",
    # docs/_ext: offers each executed page as .ipynb in the theme's download
    # menu; writes sitemap.xml when the site's URL is known (html_baseurl).
    "convbook_site",
    # 404.html from docs/404.md, with absolute asset URLs (notfound_urls_prefix).
    "notfound.extension",
]

# Pages are MyST text notebooks (.md); an .ipynb made from one (jupytext) next
# to it would be a second source for the same document.
exclude_patterns = ["_build", "**.ipynb_checkpoints", "**.ipynb", ".DS_Store", "Thumbs.db"]

# `make page PAGE=name` sets CONVBOOK_ONLY=name: build that page alone (with
# the front page, verification report and references) for a quick check
# while writing it. Links to the left-out pages are then reported as missing.
_ONLY = [p for p in os.environ.get("CONVBOOK_ONLY", "").split(",") if p]
if _ONLY:
    _keep = {*_ONLY, "index", "verification", "references", "api"}
    exclude_patterns += [
        p.relative_to(ROOT / "docs").with_suffix("").as_posix() + ".md"
        for p in (ROOT / "docs").glob("*.md")
        if p.stem not in _keep
    ]

# -- MyST / MyST-NB -------------------------------------------------------------

myst_enable_extensions = ["colon_fence", "dollarmath", "amsmath", "deflist"]
myst_heading_anchors = 3

nb_execution_mode = "cache"  # `make test` overrides with -D nb_execution_mode=force
# (nb_execution_cache_path: one directory per engine fingerprint, set by
# convbook_cache; CONVBOOK_CACHE_ROOT moves them.)
nb_execution_timeout = 300
# Every cell of every page runs even when one fails, so that one build shows
# every claim that does not hold; convbook_checks then fails the build,
# listing them last (and any other exception, with its traceback).
nb_execution_allow_errors = True
nb_execution_raise_on_error = True  # a dead kernel or a timeout fails the build at once
nb_execution_show_tb = True
nb_merge_streams = True

# -- autodoc / napoleon (docs/api.md) ------------------------------------------

autodoc_typehints = "none"  # types are written in the numpydoc docstrings
autodoc_member_order = "bysource"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
# numpydoc types are prose ("ndarray, shape (N, C_in, H, W)", "int or pair of
# int"). As :type: fields Sphinx would turn every word into a cross-reference,
# which -n (nitpicky) reports as unresolved. Rendered inside a single
# "Parameters"/"Returns" field list they stay plain text.
napoleon_use_param = False
napoleon_use_rtype = False
napoleon_preprocess_types = False

# -- Bibliography ---------------------------------------------------------------

# Relative to the CONF dir, not docs/. docs/bib/*.bib: entries added by one
# page each (kept apart so that pages can be written in parallel).
bibtex_bibfiles = ["docs/refs.bib", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs" / "bib").glob("*.bib"))]
bibtex_default_style = "unsrt"
bibtex_reference_style = "label"  # numbered [1]: several docs pages share an author and a year

# -- Maths ----------------------------------------------------------------------

# Relative to _static/: convbook_mathjax copies this component, its fonts and
# the TeX packages it autoloads there.
mathjax_path = "mathjax/tex-chtml.js"

# -- Copy button: copy the code only, never prompts or outputs -----------------

copybutton_exclude = ".linenos, .gp, .go"
copybutton_prompt_text = r">>> |\.\.\. |\$ |In \[\d*\]: | {2,5}\.\.\.: "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True
# Buttons on code only: not on the text a cell printed (div.output > div.highlight).
copybutton_selector = "div:not(.output) > div.highlight > pre"

# -- HTML -----------------------------------------------------------------------

html_theme = "sphinx_book_theme"
html_title = "Subsequent convolution layers"
# Follow the reader's light/dark setting. The theme's template writes
# default_mode into the page's script; left unset it is "", which the theme's
# JavaScript rejects ("Got invalid theme mode") before falling back to auto.
html_context = {"default_mode": "auto"}
html_static_path = ["docs/_static"]  # relative to the conf dir
html_css_files = ["convbook.css"]
html_js_files = ["convbook.js"]  # download menu entries download (.ipynb, .md)
html_theme_options = {
    "show_toc_level": 2,
    "navbar_persistent": [],  # else a second search pill in a top header bar
}

# -- Hosting (.readthedocs.yaml) ------------------------------------------------

# The published site's URL, if known: Read the Docs sets
# READTHEDOCS_CANONICAL_URL in its builds; elsewhere set CONVBOOK_BASEURL.
# It gives <link rel="canonical">, sitemap.xml and the 404 page's URL prefix.
# A local build has none: no canonical link, no sitemap, and 404.html expects
# the site at the server's root "/" (as tests/site/server.py serves it).
html_baseurl = os.environ.get("READTHEDOCS_CANONICAL_URL") or os.environ.get("CONVBOOK_BASEURL", "")
_url_path = urlsplit(html_baseurl).path.strip("/")
notfound_urls_prefix = f"/{_url_path}/" if _url_path else "/"

# -- linkcheck (`make linkcheck`, needs a network) -------------------------------

# LINKCHECK_OFFLINE=1 skips every external URL (internal links are checked by
# the normal -W -n html build anyway).
linkcheck_ignore = [r"^https?://"] if os.environ.get("LINKCHECK_OFFLINE") else []
linkcheck_timeout = 15
linkcheck_retries = 2

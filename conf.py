"""Sphinx configuration for the convbook book.

This file lives at the repository ROOT; the pages live in docs/:

    sphinx-build -b html -c . docs _build/html        (what `make html` runs)

Paths below are resolved against this directory (the conf dir):
html_static_path, templates_path, bibtex_bibfiles.  exclude_patterns is
relative to docs/.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
from importlib.metadata import distributions
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent
SRC = ROOT / "src" / "convbook"
sys.path.insert(0, str(ROOT / "docs" / "_ext"))  # the book's own Sphinx extensions

from convbook_checks import engine_source_hash  # noqa: E402  (needs the path above)

# -- Project ------------------------------------------------------------------

project = "How do subsequent convolution layers work?"
author = "The convbook authors"
copyright = "2026, The convbook authors"
release = version = "0.1.0"

root_doc = "index"  # docs/index.md

extensions = [
    "myst_nb",  # brings myst_parser; do not list both
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinxcontrib.bibtex",
    "sphinx_copybutton",
    "sphinx_design",
    # MathJax 3 vendored in the wheel: sets mathjax_path and copies the files
    # into _build/html/_static/mathjax, so maths renders with no CDN. The
    # module name really is hyphenated.
    "sphinx-mathjax-offline",
    # docs/_ext: collects every "✓ checked" claim of the executed pages; gives
    # {checkcount}`page` (front page) and {verification-report}.
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

# -- Stale-cache protection -----------------------------------------------------
#
# jupyter-cache keys a notebook only on its own code cells.  The pages import
# convbook, so their outputs also depend on the files under src/convbook/ and
# on NumPy (and whatever else is installed).  The fingerprint below covers
# every file of the package, the version of every installed distribution
# (NumPy included) and the Python version.  It is used twice:
#   * registered as a config value with rebuild="env" (see setup()): when it
#     changes, Sphinx re-reads every page instead of reusing pickled doctrees;
#   * as the name of the jupyter-cache directory: re-read pages cannot find the
#     old cached outputs, so every notebook is executed again.
# A page whose checks no longer hold against the current engine therefore
# always fails the build; it cannot pass on stale outputs.
# (tests/test_build.py proves it: break the engine in a copy, rebuild, fail.)


def _installed_versions() -> dict[str, str]:
    return {d.metadata["Name"].lower(): d.version for d in distributions()}


def _source_fingerprint() -> str:
    h = hashlib.sha256()
    h.update(engine_source_hash(SRC).encode() + b"\0")  # the hash the verification report shows
    versions = _installed_versions()
    h.update(f"numpy=={versions.get('numpy')}\0".encode())  # the one that matters most
    for name, ver in sorted(versions.items()):
        h.update(f"{name}=={ver}\0".encode())
    h.update(f"python=={sys.version}\0".encode())
    return h.hexdigest()


convbook_source_hash = _source_fingerprint()

# CONVBOOK_CACHE_ROOT lets several builds of one checkout (different
# BUILDDIRs) keep separate caches.
_CACHE_ROOT = Path(os.environ.get("CONVBOOK_CACHE_ROOT", ROOT / "_build" / ".jupyter_cache"))
_CACHE_DIR = _CACHE_ROOT / convbook_source_hash[:16]

# The fingerprint covers THIS checkout's src/; make sure that is the convbook
# the build (and so the kernel, which inherits sys.path and the environment)
# imports, not another copy installed elsewhere.
_spec = importlib.util.find_spec("convbook")
if _spec is None or _spec.origin is None or not Path(_spec.origin).resolve().is_relative_to(SRC):
    raise RuntimeError(
        f"convbook is imported from {_spec.origin if _spec else None!r}, not from {SRC}; "
        "install this checkout with `make html` (pip install -e .) or set PYTHONPATH=src"
    )

# Run the pages in a kernel of this interpreter: put the environment's own
# kernelspec ahead of any user-level 'python3' kernelspec that might point at
# another Python.
os.environ["JUPYTER_PATH"] = os.pathsep.join(
    p for p in (str(Path(sys.prefix) / "share" / "jupyter"), os.environ.get("JUPYTER_PATH")) if p
)

# -- MyST / MyST-NB -------------------------------------------------------------

myst_enable_extensions = ["colon_fence", "dollarmath", "amsmath", "deflist"]
myst_heading_anchors = 3

nb_execution_mode = "cache"  # `make test` overrides with -D nb_execution_mode=force
nb_execution_cache_path = str(_CACHE_DIR)
nb_execution_timeout = 300
nb_execution_raise_on_error = True  # a failing cell fails the build (exit 2)
nb_execution_show_tb = True  # ... and its traceback is printed in the log
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
html_context = {"default_mode": "light"}  # else PST logs "Got invalid theme mode"
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
# the site at the server's root "/" (as tests/test_site.py serves it).
html_baseurl = os.environ.get("READTHEDOCS_CANONICAL_URL") or os.environ.get("CONVBOOK_BASEURL", "")
_url_path = urlsplit(html_baseurl).path.strip("/")
notfound_urls_prefix = f"/{_url_path}/" if _url_path else "/"

# -- linkcheck (`make linkcheck`, needs a network) -------------------------------

# LINKCHECK_OFFLINE=1 skips every external URL (internal links are checked by
# the normal -W -n html build anyway).
linkcheck_ignore = [r"^https?://"] if os.environ.get("LINKCHECK_OFFLINE") else []
linkcheck_timeout = 15
linkcheck_retries = 2


def _drop_stale_caches() -> None:
    """Delete jupyter-caches made for other engine fingerprints (never reusable)."""
    if _CACHE_ROOT.is_dir():
        for old in _CACHE_ROOT.iterdir():
            if old.is_dir() and old != _CACHE_DIR:
                shutil.rmtree(old, ignore_errors=True)


def setup(app):
    # rebuild="env": a new fingerprint makes Sphinx re-read every page.
    app.add_config_value("convbook_source_hash", "", "env", types=frozenset({str}))
    _drop_stale_caches()

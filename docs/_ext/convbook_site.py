"""Sphinx extension: what the built site offers readers beyond the pages.

* **Notebook downloads.** MyST-NB writes every executed page, with its
  outputs, to ``<outdir>/../jupyter_execute/<page>.ipynb``. For each such
  page this extension copies that notebook to ``_sources/<page>.ipynb`` in
  the HTML output and sets ``ipynb_source`` in the page context, which is
  what sphinx-book-theme's download menu reads to offer ".ipynb" next to the
  page's ".md" source. (The theme only does this itself when launch buttons
  are configured; we have none, the site works offline.)
* **404 page links.** sphinx-notfound-page makes the 404 page's assets and
  sidebar absolute (it is served at any depth), but not the links in its
  body; they are made absolute here, with the same prefix.
* **Bibliography semantics.** docutils writes each citation as
  ``role="doc-biblioentry"`` inside a ``role="list"``. DPUB-ARIA 1.1
  deprecated that role in favour of ``listitem``, and axe-core reports the
  list as missing its list items (a critical violation), so the citations
  are given ``role="listitem"``.
* **Sitemap.** When ``html_baseurl`` is set (conf.py takes it from Read the
  Docs' ``READTHEDOCS_CANONICAL_URL``), ``sitemap.xml`` lists every page. A
  sitemap needs absolute URLs, so a local build without a base URL writes
  none.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from xml.sax.saxutils import escape

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Pages that are not content (no sitemap entry).
_NOT_CONTENT = {"genindex", "search", "py-modindex", "404"}


def is_executed(app, docname: str) -> bool:
    """Whether MyST-NB executed ``docname`` (or served it from its execution cache)."""
    from myst_nb.sphinx_ import NbMetadataCollector

    return NbMetadataCollector.get_doc_data(app.env).get(docname, {}).get("exec_data") is not None


def _offer_notebook(app, pagename, templatename, context, doctree):
    # Connected with priority 500: runs before sphinx-book-theme's
    # add_header_buttons (501), which turns ipynb_source into the menu entry.
    if app.builder.format != "html" or doctree is None or not is_executed(app, pagename):
        return
    parts = pagename.split("/")
    notebook = Path(app.outdir).parent.joinpath("jupyter_execute", *parts).with_suffix(".ipynb")
    if not notebook.is_file():
        logger.warning("convbook_site: MyST-NB wrote no notebook for %s (looked for %s)",
                       pagename, notebook, location=pagename)
        return
    target = Path(app.outdir, "_sources", *parts).with_suffix(".ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(notebook, target)
    context["ipynb_source"] = pagename + ".ipynb"


def _citations_as_list_items(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if isinstance(body, str) and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace(' role="doc-biblioentry"', ' role="listitem"')


def _absolute_links_on_404(app, doctree, docname):
    if docname != getattr(app.config, "notfound_pagename", None) or app.builder.format != "html":
        return
    prefix = app.config.notfound_urls_prefix or "/"
    for ref in doctree.findall(nodes.reference):
        uri = ref.get("refuri", "")
        if ref.get("internal") and uri and not uri.startswith(("/", "#")) and "://" not in uri:
            ref["refuri"] = prefix + uri


def sitemap_xml(base_url: str, paths: list[str]) -> str:
    """A sitemap (sitemaps.org 0.9) of ``paths`` relative to ``base_url``."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    urls = "".join(f"  <url><loc>{escape(base + p)}</loc></url>\n" for p in paths)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{urls}</urlset>\n")


def _write_sitemap(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    base_url = app.config.html_baseurl
    if not base_url:
        logger.info("convbook_site: html_baseurl is not set; no sitemap.xml (it needs absolute URLs)")
        return
    docs = sorted(d for d in app.env.found_docs if d not in _NOT_CONTENT)
    root = app.config.root_doc
    docs.sort(key=lambda d: (d != root, d))  # the front page first
    paths = [app.builder.get_target_uri(d) for d in docs]
    Path(app.outdir, "sitemap.xml").write_text(sitemap_xml(base_url, paths), encoding="utf-8")


def setup(app):
    app.connect("html-page-context", _offer_notebook, priority=500)
    app.connect("html-page-context", _citations_as_list_items)
    app.connect("doctree-resolved", _absolute_links_on_404)
    app.connect("build-finished", _write_sitemap)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

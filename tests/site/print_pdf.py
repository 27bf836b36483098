"""The whole book as one PDF, printed by the headless browser from the built HTML (``make pdf``).

    PYTHONPATH=tests:tests/site .venv/bin/python -m print_pdf _build/html _build/pdf/convbook.pdf

The front page and every page of its contents, in reading order, are put one
after the other into a single HTML document (each page's article as it was
built: figures, maths, check lines), served with the site's own assets, and
printed by the browser that the browser tests use (tests/site/browser.py) in
the light theme whatever the system's setting. The PDF has a title page with
the contents (linked, with page numbers), page numbers in the footer, working
internal links and an outline (one entry per page of the book). No LaTeX.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import Tag
from browser import start
from helpers import has_scheme, soup
from minipdf import Pdf
from reading_path import toctree_order
from server import SiteServer

#: Where the assembled book is served from (routed by the browser, never written to disk).
BOOK_PATH = "/__convbook_book__.html"

PRINT_CSS = """
@page { size: A4; margin: 16mm 15mm 18mm 15mm; }
html, body { background: #fff !important; }
body { margin: 0; }
.bd-article { padding: 0 !important; max-width: none !important; }
/* sphinx-book-theme's print style hides a page's title (it prints its own header) */
.bd-main .bd-content .bd-article h1:first-of-type { display: block !important; }
.bd-main .bd-content { margin-left: 0 !important; }
section.book-page { break-before: page; }
a.headerlink, button.copybtn, .convbook-animation button, .convbook-animation input { display: none !important; }
pre { white-space: pre-wrap !important; overflow-wrap: anywhere; }
div.cell, div.admonition, figure, img, table, .convbook-check { break-inside: avoid; }
h1, h2, h3, h4 { break-after: avoid; }
img { max-width: 100% !important; height: auto; }
.book-front { text-align: left; }
.book-title { font-size: 2rem; font-weight: 700; margin: 30mm 0 4mm; line-height: 1.2; }
.book-subtitle { font-size: 1.1rem; margin: 0 0 14mm; }
.book-toc-title { font-size: 1.3rem; font-weight: 700; margin: 0 0 4mm; }
.book-toc-part { font-weight: 700; margin: 4mm 0 1mm; }
.book-toc ol { list-style: none; padding: 0; margin: 0; }
.book-toc li { display: flex; gap: 2mm; margin: 0.6mm 0; }
.book-toc li a { flex: 0 1 auto; }
.book-toc li .book-toc-dots { flex: 1 1 auto; border-bottom: 1px dotted #888; margin-bottom: 1.2mm; }
.book-toc li .book-toc-page { flex: 0 0 auto; min-width: 8mm; text-align: right; }
"""

FOOTER = ('<div style="width:100%; font-size:8pt; color:#444; text-align:center; '
          'font-family: sans-serif;"><span class="pageNumber"></span> / <span class="totalPages"></span></div>')


def contents(site: Path) -> list[tuple[str, list[str]]]:
    """The front page's contents: ``[(part caption, [page.html, ...]), ...]``, in order."""
    return [(caption, [f"{stem}.html" for stem in stems]) for caption, stems in toctree_order(site)]


def book_pages(site: Path) -> list[str]:
    """The pages of the book in reading order: the front page, then its contents."""
    order = ["index.html"]
    for _, pages in contents(site):
        order += [p for p in pages if p not in order]
    return order


def _anchor(page: str, fragment: str = "") -> str:
    stem = page.removesuffix(".html")
    return f"{stem}--{fragment}" if fragment else f"page-{stem}"


def _relink(article: Tag, page: str, included: set[str]) -> None:
    """Make the ids of ``page`` unique in the book and point its links inside the book."""
    for element in article.find_all(id=True):
        element["id"] = _anchor(page, element["id"])
    for a in article.find_all("a", href=True):
        href = a["href"].strip()
        if has_scheme(href):
            continue  # another site: keep
        parts = urlsplit(href)
        target = unquote(parts.path) or page
        if target in included:
            a["href"] = "#" + _anchor(target, unquote(parts.fragment))
        else:  # the index, search, a download: not in the book
            a.unwrap()


def assemble(site: Path) -> tuple[str, list[str]]:
    """The book as one HTML document, and its pages in order."""
    index = soup((site / "index.html").read_text(encoding="utf-8"))
    pages = book_pages(site)
    included = set(pages)
    book = soup('<!DOCTYPE html><html lang="en" data-theme="light" data-mode="light"><head>'
                '<meta charset="utf-8"></head><body><main class="bd-main"><div class="bd-content">'
                '<div class="bd-article-container"></div></div></main></body></html>')
    head, container = book.head, book.select_one(".bd-article-container")
    title = index.title.get_text(strip=True) if index.title else "The book"
    head.append(book.new_tag("title", string=title))
    for link in index.head.find_all("link", rel="stylesheet"):
        head.append(copy.copy(link))
    for script in index.head.find_all("script"):  # MathJax and its settings, nothing else of the theme
        if "mathjax" in (script.get("src", "") + (script.string or "")).lower():
            head.append(copy.copy(script))
    style = book.new_tag("style")
    style.string = PRINT_CSS
    head.append(style)

    articles = {}
    for page in pages:
        article = soup((site / page).read_text(encoding="utf-8")).select_one("article.bd-article")
        if article is None:
            raise SystemExit(f"print_pdf: {page} has no <article class='bd-article'>")
        _relink(article, page, included)
        articles[page] = article

    def heading(page: str) -> str:
        h1 = articles[page].find("h1")
        return h1.get_text(" ", strip=True).rstrip("#").strip() if h1 else page

    front = soup('<section class="book-front"><p class="book-title"></p><p class="book-subtitle"></p>'
                 '<nav class="book-toc" aria-label="Contents"><p class="book-toc-title">Contents</p></nav></section>')
    front.select_one(".book-title").string = heading("index.html")
    front.select_one(".book-subtitle").string = title.rpartition(" — ")[2]  # the site's name
    toc = front.select_one("nav")
    for caption, part in [("", ["index.html"]), *contents(site)]:
        if caption:
            p = front.new_tag("p", attrs={"class": "book-toc-part"})
            p.string = caption
            toc.append(p)
        ol = front.new_tag("ol")
        for page in part:
            if page not in articles:
                continue
            li = soup(f'<li><a href="#{_anchor(page)}"></a><span class="book-toc-dots"></span>'
                      f'<span class="book-toc-page" data-page="{page}"></span></li>').li
            li.a.string = heading(page)
            ol.append(li)
        toc.append(ol)
    container.append(front.section)
    for page in pages:
        section = book.new_tag("section", attrs={"class": "book-page", "id": _anchor(page)})
        section.append(articles[page])
        container.append(section)
    return str(book), pages


#: How long any one step of printing may take (loading, typesetting, printing).
PRINT_TIMEOUT_MS = 600_000


def _print(browser, server_url: str, html: str) -> bytes:
    context = browser.new_context(color_scheme="light", viewport={"width": 1000, "height": 1400})
    try:
        page = context.new_page()
        # The whole book is one large page (every figure embedded): on a loaded
        # machine loading and typesetting it can take minutes, so no step may
        # time out after Playwright's default 30 s. Nothing here is a timing check.
        page.set_default_timeout(PRINT_TIMEOUT_MS)
        page.route(f"{server_url}{BOOK_PATH}",
                   lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html))
        page.goto(f"{server_url}{BOOK_PATH}", wait_until="load")
        page.wait_for_load_state("networkidle")
        if page.locator(".math").count():
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            page.evaluate("() => MathJax.startup.promise")
        page.evaluate("() => document.fonts.ready.then(() => true)")
        page.emulate_media(media="print", color_scheme="light")
        return page.pdf(format="A4", print_background=True, display_header_footer=True,
                        header_template="<div></div>", footer_template=FOOTER, outline=True, tagged=True,
                        margin={"top": "16mm", "bottom": "18mm", "left": "15mm", "right": "15mm"})
    finally:
        context.close()


def print_book(site: Path, out: Path, browser) -> Pdf:
    """Print the book at ``site`` into ``out`` with ``browser``; returns the PDF read back."""
    html, pages = assemble(site)
    with SiteServer(site) as server:
        first = Pdf(_print(browser, server.url, html))
        # second pass: the contents get the page on which each page of the book starts
        starts = [entry.page for entry in first.outline()]
        if len(starts) != len(pages):
            raise SystemExit(f"print_pdf: {len(starts)} outline entries for {len(pages)} pages")
        book = soup(html)
        for page, number in zip(pages, starts):
            book.select_one(f'.book-toc-page[data-page="{page}"]').string = str(number)
        data = _print(browser, server.url, str(book))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return Pdf(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the built site (a directory with index.html)")
    parser.add_argument("out", type=Path, help="the PDF to write")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"print_pdf: no built site at {args.site} (run `make html` first)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    from browser import NoBrowser

    began = time.monotonic()
    with sync_playwright() as pw:
        try:
            chromium, executable = start(pw)
        except NoBrowser as exc:
            print(f"print_pdf: {exc}", file=sys.stderr)
            return 1
        try:
            pdf = print_book(args.site, args.out, chromium)
        finally:
            chromium.close()
    size = args.out.stat().st_size
    print(f"print_pdf: {args.out}: {len(pdf.pages)} pages, {len(pdf.outline())} sections, "
          f"{size / 1e6:.1f} MB, printed by {executable} in {time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``make pdf``: the book as one PDF, printed by the headless browser from the built site.

The PDF is printed once from the site under test (the strict build under
``make test``) by print_pdf.print_book, what ``make pdf`` runs, with the
browser of the other site tests, then read back with the small reader of
minipdf.py.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from built_site import checks
from helpers import page_soup
from minipdf import Pdf
from print_pdf import assemble, book_pages, print_book


def _squeeze(text: str) -> str:
    """Text without white space or ligatures: the PDF places words (often letters) apart, and prints "ﬁ"."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.fixture(scope="module")
def printed(site, browser, tmp_path_factory):
    """(the PDF read back, the book's pages in order, the PDF's size in bytes)."""
    out = tmp_path_factory.mktemp("pdf") / "convbook.pdf"
    pdf = print_book(site, out, browser)
    assert Pdf(out.read_bytes()).pages == pdf.pages
    return pdf, book_pages(site), out.stat().st_size


def test_the_pdf_opens_and_has_one_section_per_page_of_the_book(site, printed, record):
    pdf, pages, size = printed
    sections = pdf.outline()
    titles = [page_soup(site / p).select_one("article.bd-article h1").get_text(" ", strip=True).rstrip("#")
              for p in pages]
    assert [_squeeze(s.title) for s in sections] == [_squeeze(t) for t in titles]
    starts = [s.page for s in sections]
    assert starts == sorted(starts) and len(set(starts)) == len(starts), f"a page does not start a new PDF page: {starts}"
    assert len(pdf.pages) > starts[-1]
    record("book.pdf", "pages, sections, bytes", [len(pdf.pages), len(sections), size])


def test_contents_page_numbers_and_internal_links_work(printed):
    pdf, pages, _ = printed
    destinations = pdf.destinations()
    links = pdf.internal_links()
    assert links, "the PDF has no internal links"
    dangling = sorted({name for _, name in links if name not in destinations})
    assert not dangling, f"links to nowhere: {dangling[:10]}"
    starts = [s.page for s in pdf.outline()]
    # the contents, before the first page of the book: a link and the page number of each page
    front = [(number, name) for number, name in links if number < starts[0]]
    assert [name for _, name in front] == [f"page-{p.removesuffix('.html')}" for p in pages]
    assert [destinations[name] for _, name in front] == starts
    contents = _squeeze(" ".join(pdf.text(n) for n in range(1, starts[0])))
    for section, start in zip(pdf.outline(), starts):
        assert _squeeze(section.title) + str(start) in contents, f"the contents lack {section.title!r} … {start}"
    # every page carries its number
    total = len(pdf.pages)
    for number in (1, starts[len(starts) // 2], total):
        assert _squeeze(pdf.text(number)).endswith(f"{number}/{total}"), f"page {number} shows no page number"


def test_the_pdf_contains_the_verification_total(site, printed):
    pdf, pages, _ = printed
    total = sum(len(checks(site / p)) for p in pages if p != "verification.html")
    report = next(s for s in pdf.outline() if _squeeze(s.title) == "Verificationreport")
    text = _squeeze(pdf.text(report.page) + pdf.text(report.page + 1))
    assert f"claimscheckedinthisbuild:{total:,}" in text or f"claimscheckedinthisbuild:{total}" in text, text[:400]


def test_the_book_is_printed_in_the_light_theme(site):
    html, _ = assemble(site)
    root = re.search(r"<html[^>]*>", html).group(0)
    assert 'data-theme="light"' in root and 'data-mode="light"' in root, root
    # the theme's own scripts (which would apply the reader's setting) are left out
    assert "pydata-sphinx-theme.js" not in html and "localStorage" not in html

"""The built site under test: where it is, its pages, and what they hold.

Nothing here starts a browser; reading a page parses it once (BeautifulSoup)
and keeps the result for the session.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from helpers import ROOT, has_scheme, page_soup

from convbook.book.checks import CheckResult, checks_in_html

__all__ = ["ROOT", "SITE", "PAGES", "EXECUTED", "site_dir", "discover_pages", "ids", "urls",
           "checks", "code_cells", "article_text", "broken_internal_links", "search_index"]


def site_dir() -> Path:
    """The built site to test.

    ``make test`` sets CONVBOOK_SITE to its strict build. Without it, a plain
    ``pytest`` tests the last strict build (``make strict``), else ``make html``'s
    ``_build/html``; if neither exists the site tests fail, saying how to build one.
    """
    explicit = os.environ.get("CONVBOOK_SITE")
    if explicit:
        site = Path(explicit).resolve()
    else:
        site = next((d for d in (ROOT / "_build" / "strict" / "html", ROOT / "_build" / "html")
                     if (d / "index.html").is_file()), ROOT / "_build" / "html")
    return site


def discover_pages(site: Path) -> list[str]:
    """Every HTML page of the site (relative paths), not the theme's static files."""
    if not (site / "index.html").is_file():
        return []
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if not any(part.startswith("_") for part in p.relative_to(site).parts))


# ----------------------------------------------------------------- what a page holds

#: Which attribute of which tag holds a URL the page links to or loads.
URL_ATTRS = {"a": "href", "link": "href", "script": "src", "img": "src", "iframe": "src",
             "source": "src", "video": "src", "audio": "src", "form": "action"}


def ids(path: Path) -> set[str]:
    """The fragment targets of a page: every ``id``, and ``<a name>``."""
    soup = page_soup(path)
    return {e["id"] for e in soup.find_all(id=True)} | {a["name"] for a in soup.find_all("a", attrs={"name": True})}


def urls(path: Path) -> list[tuple[str, str]]:
    """``[(tag, url), ...]`` of every URL in the page, in order."""
    return [(e.name, e[URL_ATTRS[e.name]]) for e in page_soup(path).find_all(list(URL_ATTRS))
            if e.has_attr(URL_ATTRS[e.name])]


@functools.cache
def checks(path: Path) -> list[CheckResult]:
    """The check lines a page shows, read back by convbook.book (the one place their format is defined)."""
    return checks_in_html(Path(path).read_text(encoding="utf-8"))


def code_cells(path: Path) -> int:
    """How many executed code cells the page shows (folded or not)."""
    return len(page_soup(path).select("div.cell_input"))


def article_text(path: Path) -> str:
    """The text of the page's article (no scripts or styles)."""
    article = page_soup(path).select_one("article.bd-article")
    if article is None:
        return ""
    return " ".join(s for s in article.find_all(string=True) if s.parent.name not in {"script", "style"})


def broken_internal_links(site: Path, pages: list[str]) -> list[str]:
    """Internal URLs of every page whose file, or whose #anchor, does not exist."""
    problems = []
    for page in pages:
        path = site / page
        for tag, url in urls(path):
            url = url.strip()
            if not url or has_scheme(url):  # other hosts, mailto:, data:, javascript:
                continue
            parts = urlsplit(url)
            if parts.path.startswith("/"):  # 404.html uses site-absolute URLs
                target = site / unquote(parts.path.lstrip("/"))
            elif parts.path:
                target = (path.parent / unquote(parts.path)).resolve()
            else:
                target = path
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                shown = target.relative_to(site) if target.is_relative_to(site) else target
                problems.append(f"{page}: <{tag}> {url}: no file {shown}")
                continue
            if parts.fragment and tag == "a" and target.suffix == ".html":
                if unquote(parts.fragment) not in ids(target):
                    problems.append(f"{page}: <a> {url}: no id {parts.fragment!r} in {target.relative_to(site)}")
    return problems


def search_index(site: Path) -> dict:
    text = (site / "searchindex.js").read_text(encoding="utf-8")
    match = re.search(r"Search\.setIndex\((.*)\)\s*;?\s*$", text, re.S)
    assert match, "searchindex.js does not hold Search.setIndex({...})"
    return json.loads(match.group(1))


SITE = site_dir()
PAGES = discover_pages(SITE)
#: Pages with executed code cells (MyST-NB notebooks): these must offer an .ipynb.
EXECUTED = [p for p in PAGES if code_cells(SITE / p) > 0]

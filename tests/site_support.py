"""Helpers for tests/test_site.py: find the built site, serve it, and inspect pages.

Nothing here runs at import time except cheap path and file look-ups; the
browser is started by test_site.py's fixtures.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
INSTALL_CHROMIUM = (
    f"Debian's Chromium is not at {CHROMIUM}; the browser tests drive it with Playwright "
    "(which must not download a browser of its own). Install it with: "
    "apt-get update && apt-get install -y chromium   (.ci/run does this in CI)"
)


def site_dir() -> tuple[Path, bool]:
    """The built site to test, and whether it is required to exist.

    ``make test`` sets CONVBOOK_SITE to its strict build; CI must always test
    a site. Without either, a plain ``pytest`` tests the last strict build
    (``make strict``), else ``make html``'s ``_build/html``, and skips the
    site tests if neither exists.
    """
    explicit = os.environ.get("CONVBOOK_SITE")
    if explicit:
        site = Path(explicit).resolve()
    else:
        site = next((d for d in (ROOT / "_build" / "strict" / "html", ROOT / "_build" / "html")
                     if (d / "index.html").is_file()), ROOT / "_build" / "html")
    required = bool(explicit) or os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    return site, required


def discover_pages(site: Path) -> list[str]:
    """Every HTML page of the site (relative paths), not the theme's static files."""
    if not (site / "index.html").is_file():
        return []
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if not any(part.startswith("_") for part in p.relative_to(site).parts))


# ----------------------------------------------------------------- HTML parsing


class _Collector(HTMLParser):
    """Ids, URLs (with the tag that holds them), check lines, cells and text of a page."""

    URL_ATTRS = {"a": "href", "link": "href", "script": "src", "img": "src", "iframe": "src",
                 "source": "src", "video": "src", "audio": "src", "form": "action"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.urls: list[tuple[str, str]] = []
        self.checks: list[dict[str, str]] = []
        self.code_cells = 0
        self.title = ""
        self._in_title = False
        self._skip = 0  # depth inside script/style
        self._article = 0
        self.article_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        for key in ("id", "name"):
            if a.get(key) and (key == "id" or tag == "a"):
                self.ids.add(a[key])
        if tag in self.URL_ATTRS and self.URL_ATTRS[tag] in a:
            self.urls.append((tag, a[self.URL_ATTRS[tag]]))
        classes = a.get("class", "").split()
        if "convbook-check" in classes:
            self.checks.append({k[5:]: v for k, v in a.items() if k.startswith("data-")})
        if tag == "div" and "cell_input" in classes:
            self.code_cells += 1
        if tag == "title":
            self._in_title = True
        if tag in {"script", "style"}:
            self._skip += 1
        if tag == "article" and "bd-article" in classes:
            self._article += 1

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1
        if tag == "article" and self._article:
            self._article -= 1

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._article and not self._skip:
            self.article_text.append(data)


@functools.cache
def parse(path: Path) -> _Collector:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    collector.close()
    return collector


def is_external(url: str) -> bool:
    parts = urlsplit(url.strip())
    return bool(parts.scheme and parts.scheme not in {"file"} or parts.netloc or url.strip().startswith("//"))


def broken_internal_links(site: Path, pages: list[str]) -> list[str]:
    """Internal URLs of every page whose file, or whose #anchor, does not exist."""
    problems = []
    for page in pages:
        path = site / page
        for tag, url in parse(path).urls:
            url = url.strip()
            if not url or is_external(url) or url.startswith(("javascript:", "data:")):
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
                problems.append(f"{page}: <{tag}> {url}: no file {target.relative_to(site) if target.is_relative_to(site) else target}")
                continue
            if parts.fragment and tag == "a" and target.suffix == ".html":
                if unquote(parts.fragment) not in parse(target).ids:
                    problems.append(f"{page}: <a> {url}: no id {parts.fragment!r} in {target.relative_to(site)}")
    return problems


def search_index(site: Path) -> dict:
    text = (site / "searchindex.js").read_text(encoding="utf-8")
    match = re.search(r"Search\.setIndex\((.*)\)\s*;?\s*$", text, re.S)
    assert match, "searchindex.js does not hold Search.setIndex({...})"
    return json.loads(match.group(1))


# ----------------------------------------------------------------- the server


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the site; a missing path gets the site's 404.html with status 404 (as hosts do)."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".ipynb": "application/x-ipynb+json", ".md": "text/markdown; charset=utf-8",
                      ".js": "text/javascript", ".mjs": "text/javascript", ".woff2": "font/woff2"}

    def log_message(self, *args):  # quiet
        pass

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code == 404 and page.is_file():
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)


class SiteServer:
    """The site on http://127.0.0.1:<free port>/, in a background thread."""

    def __init__(self, site: Path) -> None:
        handler = functools.partial(_Handler, directory=str(site))
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> SiteServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


# ----------------------------------------------------------------- in-page probes (JavaScript)

#: Maths, images, headings and copy buttons of the loaded page.
PAGE_PROBE_JS = r"""
() => {
  const main = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  // maths: every .math element rendered by MathJax, no TeX error, no raw TeX in the prose
  const maths = [...document.querySelectorAll(".math")];
  const unrendered = maths.filter(e => !e.querySelector("mjx-container")).map(e => e.textContent.trim().slice(0, 80));
  const errors = [...document.querySelectorAll("mjx-merror, [data-mjx-error]")]
      .map(e => e.getAttribute("data-mjx-error") || e.textContent.trim().slice(0, 80));
  const rawTex = /\\\(|\\\)|\\\[|\\\]|\$\$|\\(?:frac|times|cdot|text|mathrm|mathbf|sum|left|right|begin|end|lfloor|rfloor|ell)\b|\$[^\s$][^$]*\$/;
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT, {acceptNode(n) {
    return n.parentElement.closest("pre, code, kbd, script, style, textarea, mjx-container, .highlight")
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT; }});
  const raw = [];
  for (let n; (n = walker.nextNode());) if (rawTex.test(n.nodeValue)) raw.push(n.nodeValue.trim().slice(0, 100));
  // images: alt text that says something (not empty, not a file name)
  const images = [...document.images].map(i => ({alt: i.getAttribute("alt"), src: i.getAttribute("src").slice(0, 60),
                                                 hidden: i.offsetParent === null}));
  // headings of the content, in order
  const headings = [...main.querySelectorAll("h1, h2, h3, h4, h5, h6")]
      .map(h => [Number(h.tagName[1]), h.textContent.replace(/#$/, "").trim()]);
  // copy buttons: one on every code cell, none on what a cell printed
  const cells = document.querySelectorAll("div.cell_input div.highlight pre").length;
  const cellButtons = document.querySelectorAll("div.cell_input button.copybtn").length;
  const outputButtons = document.querySelectorAll("div.cell_output button.copybtn").length;
  const codeBlocks = document.querySelectorAll("div.highlight pre").length - document.querySelectorAll("div.output div.highlight pre").length;
  const allButtons = document.querySelectorAll("div.highlight button.copybtn").length - outputButtons;
  return {maths: maths.length, unrendered, errors, raw, images, headings, cells, cellButtons,
          outputButtons, codeBlocks, allButtons,
          theme: document.documentElement.dataset.theme, mode: document.documentElement.dataset.mode};
}
"""

#: Contrast of every convbook figure against the page behind it, in the current theme.
#: "Ink" = the pixels that differ between the light and the dark variant (text,
#: axes, ticks, legend frames: what the theme recolours); data colours are the
#: same in both variants and are reported separately.
FIGURE_PROBE_JS = r"""
async () => {
  const lin = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  const lum = ([r, g, b]) => 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  const ratio = (a, b) => { const x = lum(a) + 0.05, y = lum(b) + 0.05; return Math.max(x, y) / Math.min(x, y); };
  const rgba = s => { const m = s.match(/[\d.]+/g) || []; const v = m.map(Number);
                      return v.length === 3 ? [...v, 1] : v.length === 4 ? v : [0, 0, 0, 0]; };
  const backgroundOf = el => {   // composite the backgrounds from the element up to the root
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let out = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) out = [r * a + out[0] * (1 - a), g * a + out[1] * (1 - a), b * a + out[2] * (1 - a)];
    return out;
  };
  const pixels = async img => {
    if (!img.complete || !img.naturalWidth) await img.decode();
    const c = document.createElement("canvas");
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const ctx = c.getContext("2d"); ctx.drawImage(img, 0, 0);
    return {w: c.width, h: c.height, d: ctx.getImageData(0, 0, c.width, c.height).data};
  };
  const median = v => { if (!v.length) return null; const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
  const pct = (v, p) => { if (!v.length) return null; const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };
  const out = [];
  for (const fig of document.querySelectorAll("div.convbook-figure")) {
    const imgs = [...fig.querySelectorAll("img")];
    const shown = imgs.filter(i => getComputedStyle(i).display !== "none" && i.getBoundingClientRect().width > 0);
    const rec = {alt: (imgs[0] && imgs[0].alt || "").slice(0, 60), images: imgs.length,
                 shown: shown.map(i => i.className)};
    out.push(rec);
    if (imgs.length !== 2 || shown.length !== 1) continue;
    const visible = shown[0], other = imgs.find(i => i !== visible);
    const bg = backgroundOf(fig);
    rec.background = bg.map(Math.round);
    const A = await pixels(visible), B = await pixels(other);
    const over = (d, i) => { const a = d[i + 3] / 255; return [0, 1, 2].map(k => d[i + k] * a + bg[k] * (1 - a)); };
    const ink = [], wrongInk = [], data = [];
    const sameSize = A.w === B.w && A.h === B.h;
    for (let i = 0; i < A.d.length; i += 4) {
      if (A.d[i + 3] < 200) continue;            // solid pixels only (no antialiased edges)
      const differs = sameSize && (Math.abs(A.d[i] - B.d[i]) + Math.abs(A.d[i + 1] - B.d[i + 1]) + Math.abs(A.d[i + 2] - B.d[i + 2]) > 60);
      if (differs) { ink.push(ratio(over(A.d, i), bg)); if (B.d[i + 3] >= 200) wrongInk.push(ratio(over(B.d, i), bg)); }
      else data.push(ratio(over(A.d, i), bg));
    }
    Object.assign(rec, {sameSize, inkPixels: ink.length, inkContrast: median(ink), otherVariantInkContrast: median(wrongInk),
                        dataPixels: data.length, dataContrastP90: pct(data, 0.9)});
  }
  return out;
}
"""

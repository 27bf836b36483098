"""The built site as readers meet it, checked in a real browser.

Readers open the built HTML offline, search it, copy code, download pages as
notebooks and read in dark mode. These tests serve the built site on
127.0.0.1 and drive Debian's Chromium (/usr/bin/chromium) with Playwright
(which never downloads a browser of its own), with axe-core for
accessibility. Every page is discovered from the built site, so pages added
later are covered without editing this file.

Which site: ``make test`` sets CONVBOOK_SITE to its fresh strict build
(_build/strict/html). Without it, ``pytest`` tests the last strict build, else
_build/html, if either exists; under CI (or with CONVBOOK_SITE set) a missing
site is a failure, never a skip. A missing Chromium is always a failure, with
the command to install it. To test one build by hand:

    CONVBOOK_SITE=_build/strict/html .venv/bin/python -m pytest tests/test_site.py

Set CONVBOOK_SITE_REPORT=<file.json> to write what was found per page (axe
violations of every impact, figure contrasts, notebook runs) for review.
"""

from __future__ import annotations

import html as htmllib
import json
import os
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections import Counter
from importlib.metadata import distribution
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from site_support import (
    CHROMIUM,
    FIGURE_PROBE_JS,
    INSTALL_CHROMIUM,
    PAGE_PROBE_JS,
    ROOT,
    SiteServer,
    broken_internal_links,
    discover_pages,
    parse,
    search_index,
    site_dir,
)

SITE, REQUIRED = site_dir()
PAGES = discover_pages(SITE)
#: Pages with executed code cells (MyST-NB notebooks): these must offer an .ipynb.
EXECUTED = [p for p in PAGES if parse(SITE / p).code_cells > 0]
#: What readers meet before toggling anything, and the other theme.
MODES = ["light", "dark"]
#: axe-core impacts that fail a page (the others are recorded, not fatal).
FATAL_IMPACTS = {"serious", "critical"}
#: WCAG AA contrast for text (figure text and axes must reach it against the page).
TEXT_CONTRAST = 4.5
#: A figure's data must stand out from the page as WCAG asks of graphics
#: (3:1): at least a tenth of its data pixels this far from the background
#: (black on near-black is ~1.1, white on white 1.0; tab:orange on white only
#: 2.5, so the pages use #d95f02: 3.8 on white, 4.7 on the dark page).
DATA_CONTRAST = 3.0

if not PAGES and not REQUIRED:
    pytest.skip(f"no built site at {SITE} (run `make html`, or `make test` which builds and tests "
                "the strict site)", allow_module_level=True)

REPORT: dict[str, dict] = {}


def _record(page: str, key: str, value) -> None:
    REPORT.setdefault(page, {})[key] = value


@pytest.fixture(scope="session", autouse=True)
def _write_report():
    yield
    target = os.environ.get("CONVBOOK_SITE_REPORT")
    if target and REPORT:
        Path(target).write_text(json.dumps(REPORT, indent=1, sort_keys=True, default=str), encoding="utf-8")


def test_site_is_built():
    assert (SITE / "index.html").is_file(), f"no built site at {SITE}: run `make strict` (or `make test`)"
    assert "index.html" in PAGES and "verification.html" in PAGES, PAGES
    assert EXECUTED, "no page with executed code cells"


# ----------------------------------------------------------------- browser fixtures


@pytest.fixture(scope="session")
def server():
    with SiteServer(SITE) as srv:
        yield srv


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(INSTALL_CHROMIUM, pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-extensions"])
        yield chromium
        chromium.close()


class Visit:
    """One browser context on the site: records every request leaving 127.0.0.1,
    local requests that failed, console errors and uncaught page errors."""

    def __init__(self, browser, server, *, mode: str = "light", **context_options):
        self.base = server.url
        self.external: list[str] = []
        self.failed: list[str] = []
        self.console: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options)
        # The theme reads the reader's choice from localStorage before it paints.
        self.context.add_init_script(
            f"try {{ if (!localStorage.getItem('mode')) localStorage.setItem('mode', '{mode}'); }} catch (e) {{}}")
        self.context.route("**/*", self._only_local)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.console.append(f"uncaught: {exc}"))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}")
                     if urlsplit(r.url).hostname == "127.0.0.1" else None)
        self.page.on("response", lambda r: self.failed.append(f"{r.url}: HTTP {r.status}")
                     if r.status >= 400 and not self._expected_404(r.url) else None)
        self.expect_404: str | None = None

    def _expected_404(self, url: str) -> bool:
        return self.expect_404 is not None and url == self.expect_404

    def _only_local(self, route):
        url = route.request.url
        if urlsplit(url).scheme in {"data", "blob"} or urlsplit(url).hostname == "127.0.0.1":
            return route.continue_()
        self.external.append(url)
        return route.abort()

    def _console(self, message):
        if message.type == "error" and not self._expected_404(message.location.get("url", "")):
            self.console.append(f"console.error: {message.text} ({message.location.get('url', '')})")

    def open(self, path: str) -> None:
        self.page.goto(f"{self.base}/{path}", wait_until="load")
        self.settle()

    def settle(self) -> None:
        """Wait for the network, then for MathJax if the page has maths."""
        self.page.wait_for_load_state("networkidle")
        if self.page.locator(".math").count():
            self.page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                        timeout=15_000)
            self.page.evaluate("() => MathJax.startup.promise")

    def problems(self) -> list[str]:
        return ([f"request to another host: {u}" for u in self.external]
                + [f"failed local request: {u}" for u in self.failed] + self.console)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser, server):
    opened: list[Visit] = []

    def make(**kwargs) -> Visit:
        v = Visit(browser, server, **kwargs)
        opened.append(v)
        return v

    yield make
    for v in opened:
        v.close()


def _axe(page) -> list[dict]:
    from axe_playwright_python.base import AXE_FILE_PATH

    page.add_script_tag(path=str(AXE_FILE_PATH))
    # preload: false -- axe would otherwise re-fetch the stylesheets itself and
    # resolve the theme's @import "../basic.css" against the wrong base URL
    # (a spurious 404 for /basic.css); the browser resolves it correctly.
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations'], preload: false})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [", ".join(map(str, n["target"])) + "  " + n["html"][:160] for n in v["nodes"]][:8],
             "count": len(v["nodes"])}
            for v in result["violations"]]


def _describe_violations(violations: list[dict]) -> str:
    return "\n".join(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['count']} nodes)\n      "
                     + "\n      ".join(v["nodes"]) for v in violations)


def _figure_problems(figures: list[dict], mode: str) -> list[str]:
    problems = []
    for n, fig in enumerate(figures, 1):
        name = f"figure {n} ({fig['alt']!r})"
        if fig["images"] != 2:
            problems.append(f"{name}: {fig['images']} images, expected a light and a dark variant")
            continue
        if fig["shown"] != [f"convbook-figure-{mode} only-{mode}"]:
            problems.append(f"{name}: in {mode} mode it shows {fig['shown']}, expected the {mode} variant only")
            continue
        if not fig["sameSize"]:
            problems.append(f"{name}: the light and dark variants differ in size; cannot tell ink from data")
        elif fig["inkPixels"] < 50:
            problems.append(f"{name}: no text or axes found (only {fig['inkPixels']} theme-coloured pixels)")
        elif fig["inkContrast"] < TEXT_CONTRAST:
            problems.append(f"{name}: text/axes contrast {fig['inkContrast']:.2f} against the {mode} page "
                            f"{fig['background']} is below {TEXT_CONTRAST}")
        if fig["dataPixels"] and fig["dataContrastP90"] < DATA_CONTRAST:
            problems.append(f"{name}: its data colours barely show on the {mode} page "
                            f"(90th-percentile contrast {fig['dataContrastP90']:.2f} < {DATA_CONTRAST})")
    return problems


# ----------------------------------------------------------------- every page


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", PAGES)
def test_page(visit, path, mode):
    """Loads offline without errors; maths rendered; alt text; headings; copy buttons; figures; axe."""
    v = visit(mode=mode)
    v.open(path)
    problems: list[str] = []
    probe = v.page.evaluate(PAGE_PROBE_JS)
    if probe["theme"] != mode:
        problems.append(f"the theme is {probe['theme']!r}, expected {mode!r}")

    if mode == "light":  # what does not depend on the theme is checked once
        problems += [f"maths not rendered by MathJax: {t!r}" for t in probe["unrendered"]]
        problems += [f"MathJax error: {t!r}" for t in probe["errors"]]
        problems += [f"raw TeX in the text: {t!r}" for t in probe["raw"]]
        for img in probe["images"]:
            alt = (img["alt"] or "").strip()
            if not alt:
                problems.append(f"image without alt text: {img['src']}")
            elif img["src"].startswith("_static/"):
                pass  # the theme's own icons (e.g. the module index's "-" toggle)
            elif re.search(r"\.(png|jpe?g|svg|gif|webp)$|^_images/|^data:", alt, re.I) or len(alt.split()) < 3:
                problems.append(f"image alt text does not say what it shows: {alt!r} ({img['src']})")
        levels = [level for level, _ in probe["headings"]]
        if levels.count(1) != 1 or (levels and levels[0] != 1):
            problems.append(f"expected one <h1> first, got headings {probe['headings']}")
        for (a, ta), (b, tb) in zip(probe["headings"], probe["headings"][1:]):
            if b > a + 1:
                problems.append(f"heading level jumps from h{a} {ta!r} to h{b} {tb!r}")
        if probe["cellButtons"] != probe["cells"]:
            problems.append(f"{probe['cells']} code cells but {probe['cellButtons']} copy buttons on them")
        if probe["allButtons"] != probe["codeBlocks"]:
            problems.append(f"{probe['codeBlocks']} code blocks but {probe['allButtons']} copy buttons on them")
        if probe["outputButtons"]:
            problems.append(f"{probe['outputButtons']} copy buttons on cell outputs (they must copy code only)")
        _record(path, "maths", probe["maths"])
        _record(path, "images", len(probe["images"]))
        _record(path, "code cells", probe["cells"])

    figures = v.page.evaluate(FIGURE_PROBE_JS)
    problems += _figure_problems(figures, mode)
    _record(path, f"figures {mode}", figures)

    violations = _axe(v.page)
    _record(path, f"axe {mode}", {impact: [x["id"] for x in violations if x["impact"] == impact]
                                  for impact in ("critical", "serious", "moderate", "minor")})
    fatal = [x for x in violations if x["impact"] in FATAL_IMPACTS]
    if fatal:
        problems.append(f"axe-core ({mode} mode): serious or critical violations:\n" + _describe_violations(fatal))
    problems = v.problems() + problems  # load-time and late (axe run) errors first
    assert not problems, f"{path} in {mode} mode:\n" + "\n".join(dict.fromkeys(problems))


# ----------------------------------------------------------------- links, report


def test_internal_links_and_anchors_resolve():
    broken = broken_internal_links(SITE, PAGES)
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_verification_report_counts_every_check():
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        from convbook_checks import engine_source_hash
    finally:
        sys.path.remove(str(ROOT / "docs" / "_ext"))
    import numpy

    import convbook

    report_page = "verification.html"
    per_page = {p: parse(SITE / p).checks for p in PAGES if p != report_page and parse(SITE / p).checks}
    total = sum(len(c) for c in per_page.values())
    assert total > 0, "no page shows a check line"
    html = (SITE / report_page).read_text(encoding="utf-8")
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    summary = re.search(r"claims checked in this build: (\d[\d,]*) on (\d+) pages", text)
    assert summary, "the report has no 'claims checked in this build' line"
    assert int(summary.group(1).replace(",", "")) == total, (summary.group(0), total, {p: len(c) for p, c in per_page.items()})
    assert int(summary.group(2)) == len(per_page)
    for label, value in [("convbook version", convbook.__version__),
                         ("NumPy version", numpy.__version__),
                         ("source hash (SHA-256 of src/convbook)", engine_source_hash(ROOT / "src" / "convbook"))]:
        assert f"{label}: {value}" in text, f"report lacks {label} {value!r}"
    # one row per claim, linked to its page, with the claim's own words
    rows = re.findall(r'<tr class="row-(?:odd|even)"><td><p><a class="reference internal" href="([^"#]+)[^"]*">[^<]*#(\d+)</a></p></td>\s*<td><p>(.*?)</p></td>', html, re.S)
    claims = [(href, int(n), " ".join(re.sub(r"<[^>]+>", "", claim).split())) for href, n, claim in rows]
    assert len(claims) == total, f"the report lists {len(claims)} claims, the pages show {total}"
    expected = Counter(" ".join(htmllib.unescape(c["claim"]).split()) for checks in per_page.values() for c in checks)
    listed = Counter(htmllib.unescape(c) for _, _, c in claims)
    assert listed == expected, f"claims differ: missing {expected - listed}, extra {listed - expected}"
    for page, checks in per_page.items():
        assert sum(1 for href, _, _ in claims if href == page) == len(checks), page
    _record("verification.html", "claims", total)


# ----------------------------------------------------------------- copy buttons


def _first_open_cell(pages: list[str]) -> tuple[str, int]:
    """The first page with a code cell whose source is not folded, and that cell's number.

    Every code cell of a notebook becomes one ``div.cell`` on the page, in
    order, so the number is also the cell's place among the notebook's code cells.
    """
    from bs4 import BeautifulSoup

    for page in pages:
        soup = BeautifulSoup((SITE / page).read_text(encoding="utf-8"), "html.parser")
        for number, cell in enumerate(soup.select("article div.cell")):
            source = cell.select_one("div.cell_input")
            if source is not None and source.find_parent("details") is None:
                return page, number
    raise AssertionError("no page shows an unfolded code cell")


def _code_cell(notebook: Path, number: int) -> str:
    cells = [c for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    source = cells[number]["source"]
    return "".join(source) if isinstance(source, list) else source


def test_copy_button_copies_exactly_the_cells_code(visit):
    page, number = _first_open_cell(EXECUTED)
    v = visit(permissions=["clipboard-read", "clipboard-write"])
    v.open(page)
    cell = v.page.locator("article div.cell").nth(number).locator("div.cell_input")
    cell.hover()
    v.page.evaluate("() => navigator.clipboard.writeText('clipboard not written')")
    cell.locator("button.copybtn").click()
    copied = v.page.evaluate("() => navigator.clipboard.readText()")
    notebook = SITE / "_sources" / page.replace(".html", ".ipynb")
    expected = _code_cell(notebook, number)
    assert copied.rstrip("\n") == expected.rstrip("\n"), \
        f"{page}: the copy button copied\n{copied!r}\nbut the cell's code is\n{expected!r}"
    assert not v.problems(), v.problems()


def test_copy_button_leaves_out_prompts_and_outputs(visit):
    """A doctest-style block (>>> prompts with printed output): only the code is copied."""
    candidates = [p for p in PAGES if "&gt;&gt;&gt;" in (SITE / p).read_text(encoding="utf-8")]
    assert candidates, "no page shows a >>> example to test prompt stripping on"
    v = visit(permissions=["clipboard-read", "clipboard-write"])
    v.open(candidates[0])
    block = v.page.locator("div.highlight:has(span.gp)").first
    shown = block.locator("pre").inner_text()
    block.hover()
    block.locator("button.copybtn").click()
    copied = v.page.evaluate("() => navigator.clipboard.readText()")
    prompts = [line for line in shown.splitlines() if line.startswith((">>> ", "... "))]
    assert prompts, shown
    assert copied.rstrip("\n").splitlines() == [line[4:] for line in prompts], \
        f"{candidates[0]}: shown\n{shown}\ncopied\n{copied}"
    assert ">>>" not in copied


# ----------------------------------------------------------------- search


def _distinctive_word(page: str, index: dict) -> str:
    """A word of ``page``'s text that the search index holds for that page alone."""
    import snowballstemmer

    stem = snowballstemmer.stemmer("porter").stemWord
    docnames = index["docnames"]
    me = docnames.index(page.removesuffix(".html"))
    objects = {str(o[-1]).lower() for entries in index.get("objects", {}).values() for o in entries}
    title_terms = index.get("titleterms", {})
    words = re.findall(r"\b[a-z]{7,}\b", " ".join(parse(SITE / page).article_text).lower())
    for word, _ in Counter(words).most_common():
        s = stem(word)
        docs = index["terms"].get(s)
        docs = [docs] if isinstance(docs, int) else docs
        titled = title_terms.get(s)
        titled = [titled] if isinstance(titled, int) else (titled or [])
        if docs == [me] and set(titled) <= {me} and not any(word in o for o in objects):
            return word
    raise AssertionError(f"{page}: no word of its text is indexed for it alone")


@pytest.mark.parametrize("path", EXECUTED)
def test_search_finds_the_page_by_a_word_of_its_own(visit, path):
    word = _distinctive_word(path, search_index(SITE))
    v = visit()
    v.open("index.html")
    v.page.locator("button.search-button-field").first.click()
    box = v.page.locator("#pst-search-dialog input[name=q]")
    box.wait_for(state="visible")
    v.page.keyboard.type(word)
    v.page.keyboard.press("Enter")
    v.page.wait_for_url("**/search.html?q=*")
    v.page.wait_for_function(
        "() => /Search finished/.test(document.querySelector('#search-results')?.innerText || '')", timeout=20_000)
    hrefs = v.page.locator("#search-results ul.search li > a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    found = [urlsplit(h).path.removeprefix("./") for h in hrefs]
    assert found and found[0] == path, f"searching {word!r}: expected {path} first, got {found}"
    assert not v.problems(), v.problems()
    _record(path, "search word", word)


# ----------------------------------------------------------------- dark mode


def test_dark_mode_toggle_switches_theme_and_figures(visit):
    with_figures = [p for p in EXECUTED if "convbook-figure" in (SITE / p).read_text(encoding="utf-8")]
    assert with_figures, "no page with a convbook figure"
    page = with_figures[0]
    v = visit(mode="light")
    v.open(page)
    theme = lambda: v.page.evaluate("() => document.documentElement.dataset.theme")  # noqa: E731
    background = "() => getComputedStyle(document.body).backgroundColor"
    assert theme() == "light"
    light_bg = v.page.evaluate(background)
    light = v.page.evaluate(FIGURE_PROBE_JS)
    v.page.locator("button.theme-switch-button").first.click()  # the colour-mode menu
    v.page.locator("button.theme-change-button[data-mode=dark]").first.click()
    v.page.wait_for_function("() => document.documentElement.dataset.theme === 'dark'", timeout=5_000)
    dark_bg = v.page.evaluate(background)
    assert dark_bg != light_bg, "the page background did not change"
    dark = v.page.evaluate(FIGURE_PROBE_JS)
    problems = _figure_problems(light, "light") + _figure_problems(dark, "dark")
    assert not problems, "\n".join(problems)
    for fig in dark:
        # the test can tell: the light figure on the dark page would be unreadable
        assert fig["otherVariantInkContrast"] < 3, fig
    # the choice is remembered on the next page
    v.open("index.html")
    assert theme() == "dark"
    assert not v.problems(), v.problems()
    _record(page, "toggle", {"light": light, "dark": dark, "backgrounds": [light_bg, dark_bg]})


# ----------------------------------------------------------------- keyboard


def test_keyboard_reaches_search_theme_switch_downloads_and_copy(visit):
    page = EXECUTED[0]
    v = visit()
    v.open(page)
    wanted = {
        "search": "button.search-button-field",
        "theme switch": "button.theme-switch-button",
        "download menu": ".dropdown-download-buttons > button",
        "copy button": "div.cell_input button.copybtn",
    }
    reached: dict[str, float] = {}
    for _ in range(400):
        v.page.keyboard.press("Tab")
        for name, selector in wanted.items():
            if name not in reached and v.page.evaluate(
                    "s => document.activeElement && document.activeElement.matches(s)", selector):
                v.page.wait_for_timeout(500)  # let a fade-in transition finish
                reached[name] = v.page.evaluate("() => Number(getComputedStyle(document.activeElement).opacity)")
        if len(reached) == len(wanted):
            break
    assert set(reached) == set(wanted), f"not reachable with Tab: {set(wanted) - set(reached)}"
    assert reached["copy button"] > 0.9, "a focused copy button is invisible"
    # the colour-mode menu works from the keyboard: open it, arrow down to "Dark"
    focused = "s => !!document.activeElement && document.activeElement.matches(s)"
    v.page.locator("button.theme-switch-button").first.focus()
    v.page.keyboard.press("Enter")
    v.page.wait_for_function(focused, arg="button.theme-change-button", timeout=5_000)  # focus is in the menu
    for _ in range(5):
        if v.page.evaluate(focused, "button.theme-change-button[data-mode=dark]"):
            break
        v.page.keyboard.press("ArrowDown")
    v.page.keyboard.press("Enter")
    v.page.wait_for_function("() => document.documentElement.dataset.theme === 'dark'", timeout=5_000)
    assert not v.problems(), v.problems()


# ----------------------------------------------------------------- downloads


@pytest.mark.parametrize("path", EXECUTED)
def test_page_downloads_as_notebook_and_source(visit, path):
    v = visit()
    v.open(path)
    stem = path.removesuffix(".html")
    # textContent, not innerText: a folded cell's source is not rendered, but it is there.
    code = v.page.locator("div.cell_input pre").evaluate_all("els => els.map(e => e.textContent)")
    got = {}
    for label, button in [("ipynb", "a.btn-download-notebook-button"), ("md", "a.btn-download-source-button")]:
        v.page.locator(".dropdown-download-buttons > button").click()
        with v.page.expect_download() as info:
            v.page.locator(button).click()
        download = info.value
        got[label] = Path(download.path()).read_bytes()
        assert download.suggested_filename == f"{Path(stem).name}.{label}", download.suggested_filename
        assert got[label] == (SITE / "_sources" / f"{stem}.{label}").read_bytes()
    source = ROOT / "docs" / f"{stem}.md"
    if source.is_file() and source.stat().st_mtime <= (SITE / path).stat().st_mtime:  # not edited since
        assert got["md"] == source.read_bytes(), f"the .md download is not docs/{stem}.md"
    notebook = json.loads(got["ipynb"])
    assert notebook["nbformat"] == 4
    sources = ["".join(c["source"]).strip() for c in notebook["cells"] if c["cell_type"] == "code"]
    shown = [c.strip() for c in code]
    missing = [c[:60] for c in shown if c not in sources]
    assert not missing, f"code cells on the page but not in the notebook: {missing}"
    assert not v.problems(), v.problems()


def _allowed_distributions() -> set[str]:
    """numpy, matplotlib, convbook and what they require (no extras)."""
    from packaging.requirements import Requirement

    todo, seen = ["numpy", "matplotlib", "convbook"], set()
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in seen:
            continue
        seen.add(name)
        for req in distribution(name).requires or []:
            r = Requirement(req)
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                todo.append(r.name)
    return seen


@pytest.fixture(scope="session")
def fresh_python(tmp_path_factory) -> Path:
    """A new venv with only numpy, matplotlib and convbook (this checkout), pinned by constraints.txt."""
    tmp = tmp_path_factory.mktemp("fresh")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}

    def run(*cmd):
        proc = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout

    run(sys.executable, "-m", "venv", tmp / "venv")
    python = tmp / "venv" / "bin" / "python"
    run(sys.executable, "-m", "pip", "--disable-pip-version-check", "wheel", "-q", "--no-deps",
        "--no-build-isolation", "-w", tmp / "wheel", ROOT)
    wheel = next((tmp / "wheel").glob("convbook-*.whl"))
    run(python, "-m", "pip", "--disable-pip-version-check", "install", "-q", "-c", ROOT / "constraints.txt",
        "numpy", "matplotlib", wheel)
    installed = json.loads(run(python, "-m", "pip", "--disable-pip-version-check", "list", "--format=json"))
    names = {re.sub(r"[-_.]+", "-", d["name"]).lower() for d in installed}
    extra = names - _allowed_distributions() - {"pip", "setuptools", "wheel"}
    assert not extra, f"the fresh venv holds more than numpy, matplotlib and convbook: {sorted(extra)}"
    return python


@pytest.fixture(scope="session")
def baseline_missing(fresh_python, tmp_path_factory) -> set[str]:
    """Modules that the allowed packages themselves try and do without (IPython and myst_nb
    in convbook.book, Windows-only modules in matplotlib, ...): not a page's doing."""
    tmp = tmp_path_factory.mktemp("baseline")
    script = tmp / "baseline.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        import matplotlib.pyplot as plt
        import convbook
        from convbook.book import check, check_range, glue, show_figure
        check("one is one", np.int64(1), 1)
        check_range("one is about one", 1.0, 0.5, 1.5)
        glue("one", 1)
        def draw():
            fig, ax = plt.subplots()
            ax.plot([0, 1], [1, 0], label="a line")
            ax.legend()
            return fig
        show_figure(draw, alt="a line falling from one to zero")
        convbook.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)))
    """))
    _, missing = _run_script(fresh_python, script, tmp)
    return missing


def _run_script(python: Path, script: Path, tmp: Path) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run ``script`` with ``python`` as a reader would; also return the top-level modules it could not find."""
    log = tmp / f"{script.stem}.missing"
    log.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    env.update(MPLBACKEND="Agg", MPLCONFIGDIR=str(tmp / "mpl"), CONVBOOK_MISSING_LOG=str(log))
    proc = subprocess.run([str(python), "-c", RECORD_MISSING_IMPORTS, str(script)], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=600)
    return proc, set(log.read_text().split()) if log.exists() else set()


@pytest.mark.parametrize("path", EXECUTED)
def test_downloaded_notebook_runs_with_numpy_matplotlib_and_convbook_only(fresh_python, baseline_missing,
                                                                            tmp_path, path):
    notebook = SITE / "_sources" / path.replace(".html", ".ipynb")
    assert notebook.is_file(), f"{path}: no notebook download at {notebook.relative_to(SITE)}"
    cells = [c for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells]
    code = "\n\n".join(f"# --- cell {n}\n{s}" for n, s in enumerate(sources, 1)) + "\n"
    try:
        compile(code, path, "exec")
    except SyntaxError as exc:
        pytest.fail(f"{path}: the notebook's code is not plain Python (an IPython magic?): {exc}", pytrace=False)
    script = tmp_path / f"{Path(path).stem}.py"
    script.write_text(code, encoding="utf-8")
    proc, missing = _run_script(fresh_python, script, tmp_path)
    missing = sorted(missing - baseline_missing)
    page_checks = parse(SITE / path).checks
    checks = len(page_checks)
    printed = proc.stdout.count("✓ checked")
    # A page may cross-check the engine against a package a reader need not
    # have (misconceptions: SciPy). Its notebook must then say so, skip exactly the
    # checks that name the package, and import nothing else that is missing.
    for module in OPTIONAL_IMPORTS.get(path, ()):
        if module in missing:
            missing.remove(module)
            skipped = sum(module in c.get("claim", "").lower() for c in page_checks)
            assert skipped, f"{path}: no check on the page names {module}, yet the notebook imports it"
            assert f"{module} is not installed" in proc.stdout.lower(), \
                f"{path}: the notebook does not tell the reader that {module} checks are skipped"
            checks -= skipped
    _record(path, "notebook run", {"cells": len(sources), "exit": proc.returncode, "checks printed": printed,
                                   "checks on page": checks, "missing imports": missing,
                                   "stderr": proc.stderr[-1500:]})
    needs = (f"; it tries to import {', '.join(missing)}, which a reader with only NumPy, matplotlib "
             "and convbook does not have" if missing else "")
    assert proc.returncode == 0, \
        f"{path}: the downloaded notebook fails when run top to bottom{needs}:\n{proc.stderr[-3000:]}"
    assert printed == checks, (f"{path}: the page shows {checks} checks but the downloaded notebook printed "
                               f"{printed}{needs}")
    assert not missing, f"{path}: the downloaded notebook runs{needs} (the page catches the ImportError)"


#: Pages whose notebooks may cross-check against a package beyond NumPy,
#: matplotlib and convbook: docs/which-one.md compares the engine with
#: scipy.signal.correlate and convolve (issue 3 asks for exactly that).
OPTIONAL_IMPORTS = {"misconceptions.html": ("scipy",)}

#: Runs the script given as argv[1] and logs every top-level module that no
#: installed package provides (a finder at the end of sys.meta_path is asked
#: only when all the real finders have failed).
RECORD_MISSING_IMPORTS = textwrap.dedent("""
    import importlib.abc, os, runpy, sys

    class _Missing(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if "." not in name:
                with open(os.environ["CONVBOOK_MISSING_LOG"], "a") as log:
                    log.write(name + "\\n")
            return None

    sys.meta_path.append(_Missing())
    script = sys.argv[1]
    sys.argv = [script]
    runpy.run_path(script, run_name="__main__")
""")


# ----------------------------------------------------------------- hosting


def test_missing_page_gets_the_404_page_with_working_assets(visit):
    v = visit()
    missing = f"{v.base}/no/such/page.html"
    v.expect_404 = missing
    response = v.page.goto(missing, wait_until="load")
    v.settle()
    assert response.status == 404
    assert "Page not found" in v.page.title()
    # styled by the site's own CSS, not a bare page, and the way back works
    assert v.page.evaluate("() => [...document.styleSheets].some(s => (s.href || '').includes('/_static/styles/'))")
    v.page.locator("article a[href$='index.html']").first.click()
    v.page.wait_for_load_state("load")
    assert urlsplit(v.page.url).path == "/index.html"
    assert not v.problems(), v.problems()


def test_sitemap_lists_absolute_urls():
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        from convbook_site import sitemap_xml
    finally:
        sys.path.remove(str(ROOT / "docs" / "_ext"))
    xml = sitemap_xml("https://example.org/en/latest", ["index.html", "a&b.html"])
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [e.text for e in ET.fromstring(xml.encode()).findall("s:url/s:loc", ns)]
    assert locs == ["https://example.org/en/latest/index.html", "https://example.org/en/latest/a&b.html"]


def test_conf_follows_the_host(monkeypatch):
    """Read the Docs' canonical URL sets the 404 page's prefix and the base URL; locally neither."""
    import runpy

    monkeypatch.setenv("JUPYTER_PATH", "")
    monkeypatch.delenv("CONVBOOK_BASEURL", raising=False)
    monkeypatch.setenv("READTHEDOCS_CANONICAL_URL", "https://convbook.readthedocs.io/en/latest/")
    conf = runpy.run_path(str(ROOT / "conf.py"))
    assert conf["html_baseurl"] == "https://convbook.readthedocs.io/en/latest/"
    assert conf["notfound_urls_prefix"] == "/en/latest/"
    monkeypatch.delenv("READTHEDOCS_CANONICAL_URL")
    conf = runpy.run_path(str(ROOT / "conf.py"))
    assert conf["html_baseurl"] == "" and conf["notfound_urls_prefix"] == "/"


def test_readthedocs_config_runs_the_strict_build():
    import yaml

    config = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text())
    assert config["version"] == 2
    commands = " ; ".join(config["build"]["commands"])
    assert "make strict" in commands and "$READTHEDOCS_OUTPUT/html" in commands, commands
    assert config["build"]["tools"]["python"] == f"{sys.version_info.major}.{sys.version_info.minor}"

"""Reading the site as people do: copy a cell, search, switch to dark mode, use the keyboard, miss a page."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from built_site import EXECUTED, PAGES, SITE, article_text, search_index
from helpers import page_soup
from inpage import figure_problems, probe

# ----------------------------------------------------------------- copy buttons


def _first_open_cell(pages: list[str]) -> tuple[str, int]:
    """The first page with a code cell whose source is not folded, and that cell's number.

    Every code cell of a notebook becomes one ``div.cell`` on the page, in
    order, so the number is also the cell's place among the notebook's code cells.
    """
    for page in pages:
        for number, cell in enumerate(page_soup(SITE / page).select("article div.cell")):
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
    words = re.findall(r"\b[a-z]{7,}\b", article_text(SITE / page).lower())
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
def test_search_finds_the_page_by_a_word_of_its_own(visit, record, path):
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
    record(path, "search word", word)


# ----------------------------------------------------------------- dark mode


def test_dark_mode_toggle_switches_theme_and_figures(visit, record):
    with_figures = [p for p in EXECUTED if "convbook-figure" in (SITE / p).read_text(encoding="utf-8")]
    assert with_figures, "no page with a convbook figure"
    page = with_figures[0]
    v = visit(mode="light")
    v.open(page)
    theme = lambda: v.page.evaluate("() => document.documentElement.dataset.theme")  # noqa: E731
    background = "() => getComputedStyle(document.body).backgroundColor"
    assert theme() == "light"
    light_bg = v.page.evaluate(background)
    light = v.page.evaluate(probe("figures"))
    v.page.locator("button.theme-switch-button").first.click()  # the colour-mode menu
    v.page.locator("button.theme-change-button[data-mode=dark]").first.click()
    v.page.wait_for_function("() => document.documentElement.dataset.theme === 'dark'", timeout=5_000)
    dark_bg = v.page.evaluate(background)
    assert dark_bg != light_bg, "the page background did not change"
    dark = v.page.evaluate(probe("figures"))
    problems = figure_problems(light, "light") + figure_problems(dark, "dark")
    assert not problems, "\n".join(problems)
    for fig in dark:
        # the test can tell: the light figure on the dark page would be unreadable
        assert fig["otherVariantInkContrast"] < 3, fig
    # the choice is remembered on the next page
    v.open("index.html")
    assert theme() == "dark"
    assert not v.problems(), v.problems()
    record(page, "toggle", {"light": light, "dark": dark, "backgrounds": [light_bg, dark_bg]})


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

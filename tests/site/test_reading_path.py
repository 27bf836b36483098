"""The book reads in the order a confused student needs: answer first, then the proof.

These tests read the built HTML (the same site the browser tests use: the
``site`` fixture of tests/site/conftest.py) and the page sources:

* the contents follow the question, and a final part holds the errata and
  details, each of its pages linked from a question page;
* every question page opens with its answer (a ``.answer`` box) before any
  code a reader sees, short enough for the first screen;
* no cell a reader sees uses a name defined only in a cell removed from the
  page (folded cells are fine: a reader can open them);
* on the question pages, prose is at least 45% of the words a reader sees;
* the build checks at least as many claims as it did before the book was
  reorganised (217): moving material never loses a check; and every check
  says what its expected value comes from (a basis from convbook.book.BASES).

``python tests/reading_path.py <site>`` prints the measurements these use.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from built_site import PAGES, checks
from reading_path import QUESTION_PAGES, REMOVING_TAGS, ROOT, hidden_dependencies, read_page, toctree_order, words

ERRATA_CAPTION = "Errata and details"
#: The number of checked claims when the reading path was introduced; it may only grow.
MIN_CHECKS = 217
#: The share of prose among the words a reader sees on a question page.
MIN_PROSE_SHARE = 0.45
#: About one screen: the answer box must fit on it.
MAX_ANSWER_WORDS = 200

NOTEBOOK_PAGES = sorted(p for p in (ROOT / "docs").glob("*.md")
                        if p.read_text(encoding="utf-8").lstrip().startswith("---")
                        and "file_format: mystnb" in p.read_text(encoding="utf-8"))


def _parts(site: Path) -> dict[str, list[str]]:
    return dict(toctree_order(site))


def test_contents_follow_the_question(site):
    parts = toctree_order(site)
    assert parts, "the front page has no contents"
    caption, pages = parts[0]
    assert pages == QUESTION_PAGES, f"first part {caption!r} lists {pages}"


def test_errata_part_exists_and_each_page_is_linked_from_a_question_page(site):
    errata = _parts(site).get(ERRATA_CAPTION)
    assert errata, f"no part captioned {ERRATA_CAPTION!r} in {list(_parts(site))}"
    linked = set().union(*(read_page(site / f"{p}.html").links for p in QUESTION_PAGES))
    assert not set(errata) - linked, f"errata pages no question page links to: {set(errata) - linked}"


@pytest.mark.parametrize("page", QUESTION_PAGES)
def test_question_page_opens_with_its_answer(site, page):
    reading = read_page(site / f"{page}.html")
    assert reading.answer_before_first_code, f"{page}: no .answer box before the first open code cell"
    soup = BeautifulSoup((site / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.bd-article")
    answer = article.select_one(".answer")
    first_section = article.select_one("section section")  # the first h2 section
    blocks = [el for el in article.select("section > *") if el.name not in {"h1", "span"}]
    assert blocks and blocks[0] is answer, (
        f"{page}: the answer box is not the first thing under the title "
        f"(first is <{blocks[0].name} class={blocks[0].get('class')}>)")
    assert first_section is None or answer not in first_section.descendants
    size = words(answer.get_text(" "))
    assert 20 <= size <= MAX_ANSWER_WORDS, f"{page}: the answer has {size} words"


@pytest.mark.parametrize("page", QUESTION_PAGES)
def test_prose_outweighs_code_on_question_pages(site, page):
    reading = read_page(site / f"{page}.html")
    assert reading.prose_share >= MIN_PROSE_SHARE, (
        f"{page}: prose is {reading.prose_share:.0%} of what a reader sees "
        f"(prose {reading.prose}, code {reading.code}, output {reading.output} words)")


def test_the_build_checks_at_least_as_many_claims_as_before(site):
    text = BeautifulSoup((site / "verification.html").read_text(encoding="utf-8"), "html.parser").get_text(" ")
    match = re.search(r"claims checked in this build:\s*([\d,]+)\s+on\s+(\d+)\s+pages", text)
    assert match, "the verification page has no total"
    assert int(match.group(1).replace(",", "")) >= MIN_CHECKS, match.group(0)


def test_every_check_says_what_its_expected_value_comes_from(site):
    from convbook.book import BASES

    kinds = {page: [c.basis.partition(":")[0].strip() for c in checks(site / page)] for page in PAGES}
    unknown = {page: [k for k in found if k not in BASES] for page, found in kinds.items()}
    assert not any(unknown.values()), {p: k for p, k in unknown.items() if k}
    assert sum(map(len, kinds.values())) >= MIN_CHECKS


@pytest.mark.parametrize("page", NOTEBOOK_PAGES, ids=lambda p: p.stem)
def test_no_shown_cell_depends_on_a_removed_cell(page):
    assert hidden_dependencies(page) == [], f"{page.name}: shown cells use names defined only in removed cells"


@pytest.mark.parametrize("page", QUESTION_PAGES)
def test_question_pages_remove_no_cell(page):
    import jupytext

    tags = [set(c.metadata.get("tags", [])) for c in jupytext.read(ROOT / "docs" / f"{page}.md").cells]
    assert not [t for t in tags if t & REMOVING_TAGS], f"{page}: a cell is removed from the page"


def test_hidden_dependencies_finds_a_removed_import(tmp_path):
    """The source check itself can fail: a shown cell using a removed import is caught."""
    page = tmp_path / "p.md"
    page.write_text(
        "---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n\n"
        "# t\n\n```{code-cell} ipython3\n:tags: [remove-input]\nimport itertools\n```\n\n"
        "```{code-cell} ipython3\n:tags: [hide-input]\nimport numpy as np\n```\n\n"
        "```{code-cell} ipython3\nlist(itertools.product([1], [2])), np.zeros(1)\n```\n",
        encoding="utf-8")
    assert hidden_dependencies(page) == [(3, {"itertools"})]


def test_read_page_counts_folded_code_apart(tmp_path):
    """The measurement itself: folded sources are not counted as code a reader sees."""
    html = tmp_path / "p.html"
    html.write_text(
        '<html><body><article class="bd-article"><section><h1>T</h1>'
        '<div class="admonition answer"><p>one two three</p></div>'
        '<div class="cell"><details><summary>show</summary><div class="cell_input">'
        '<pre>a = 1 + 2</pre></div></details><div class="cell_output"><p>out put</p></div></div>'
        '<p>four five</p>'
        '<div class="cell"><div class="cell_input"><pre>b = a</pre></div></div>'
        '</section></article></body></html>', encoding="utf-8")
    r = read_page(html)
    assert (r.code, r.folded, r.output, r.visible_cells, r.folded_cells) == (2, 3, 2, 1, 1)
    assert r.prose == 6  # T, one two three, four five
    assert r.answer_before_first_code and r.words_before_first_code == 6

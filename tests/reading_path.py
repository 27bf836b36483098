"""What a reader meets on a built page: prose, code and output, in reading order.

Used by tests/test_reading_path.py, and runnable on its own to measure a build
while writing a page::

    .venv/bin/python tests/reading_path.py _build/html            # every question page
    .venv/bin/python tests/reading_path.py _build/page-pooling/html pooling

A reader sees a page "unfolded": the text, the code cells that are not folded
(MyST-NB's ``hide-input`` puts a cell's source in a closed ``<details>``), and
what the cells print or show. Words are counted in three parts:

* **prose**: everything in the article that is not code or cell output
  (headings, paragraphs, lists, tables, maths);
* **code**: visible code cell sources, plus literal blocks in the prose;
* **output**: what the visible cells print, check lines included.

Folded sources are counted apart (``folded``): the reader can open them, but
does not have to read them.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup, Tag

ROOT = Path(__file__).resolve().parents[1]

#: The question pages, in the order the contents must list them (issue 9).
QUESTION_PAGES = [
    "three-readings",
    "which-one",
    "alexnet",
    "googlenet",
    "one-by-one",
    "quadratic-cost",
    "pooling",
    "sliding-order",
    "misconceptions",
]

#: Cell tags that remove a cell's source from the page altogether (the reader
#: cannot open it). ``hide-input`` only folds it.
REMOVING_TAGS = {"remove-input", "remove-cell"}

_WORD = re.compile(r"[\w′'’.,-]*\w")


def words(text: str) -> int:
    """Number of words in ``text`` (runs of letters or digits, punctuation inside kept)."""
    return len(_WORD.findall(text))


@dataclass
class PageReading:
    """What one built page shows a reader, in words."""

    prose: int
    code: int
    output: int
    folded: int
    visible_cells: int
    folded_cells: int
    removed_cells: int
    words_before_first_code: int
    answer_before_first_code: bool
    links: set[str]

    @property
    def prose_share(self) -> float:
        seen = self.prose + self.code + self.output
        return self.prose / seen if seen else 0.0


def _article(path: Path) -> Tag:
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.bd-article") or soup.body
    for junk in article.select("script, style, .headerlink, summary"):
        junk.decompose()
    return article


def _is_folded(node: Tag) -> bool:
    return any(parent.name == "details" for parent in node.parents)


def read_page(path: Path) -> PageReading:
    """Measure one built HTML page of the book."""
    article = _article(path)
    code = output = folded = 0
    visible = folded_cells = removed = 0
    cells = article.select("div.cell")
    for cell in cells:
        classes = set(cell.get("class", []))
        source = cell.select_one("div.cell_input")
        if source is None:
            if classes & {f"tag_{t}" for t in REMOVING_TAGS}:
                removed += 1
        elif _is_folded(source):
            folded_cells += 1
            folded += words(source.get_text(" "))
        else:
            visible += 1
            code += words(source.get_text(" "))
        for out in cell.select("div.cell_output"):
            output += words(out.get_text(" "))
    literal = sum(words(block.get_text(" ")) for block in article.select("div.highlight")
                  if block.find_parent("div", class_="cell") is None)
    code += literal

    total = words(article.get_text(" "))
    prose = total - code - output - folded

    # Prose words before the first visible code cell (document order).
    first_code = next((c.select_one("div.cell_input") for c in cells
                       if c.select_one("div.cell_input") is not None
                       and not _is_folded(c.select_one("div.cell_input"))), None)
    before = 0
    answer_first = False
    for element in article.descendants:
        if element is first_code:
            break
        if isinstance(element, Tag) and "answer" in element.get("class", []):
            answer_first = True
        if isinstance(element, str) and not any(
                isinstance(p, Tag) and ("cell" in p.get("class", []) or p.name == "pre")
                for p in element.parents):
            before += words(element)
    if first_code is None:
        answer_first = article.select_one(".answer") is not None

    links = set()
    for a in article.select("a.reference.internal[href]"):
        target = a["href"].split("#")[0]
        if target.endswith(".html"):
            links.add(Path(target).stem)
    return PageReading(prose, code, output, folded, visible, folded_cells, removed, before,
                       answer_first, links)


def toctree_order(site: Path) -> list[tuple[str, list[str]]]:
    """The front page's contents: (caption, [page, ...]) for each part, in order."""
    soup = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "html.parser")
    parts = []
    for wrapper in soup.select("div.toctree-wrapper"):
        caption = wrapper.select_one("p.caption")
        pages = [Path(a["href"].split("#")[0]).stem
                 for a in wrapper.select("li.toctree-l1 > a.reference.internal")]
        parts.append((caption.get_text(" ", strip=True) if caption else "", pages))
    return parts


# ----------------------------------------------------------------- the sources


def _names(tree: ast.AST) -> tuple[set[str], set[str]]:
    """(names a cell binds, names it reads) -- a conservative, flat reading."""
    bound: set[str] = set()
    read: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, ast.Store | ast.Del) else read).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
            args = node.args if not isinstance(node, ast.ClassDef) else None
            if args is not None:
                for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                    if a is not None:
                        bound.add(a.arg)
        elif isinstance(node, ast.Lambda):
            for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
                bound.add(a.arg)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                bound.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return bound, read


def hidden_dependencies(md: Path) -> list[tuple[int, set[str]]]:
    """Shown cells of a page that use names bound only in removed cells.

    Returns ``[(code cell number, counting from 1, {names}), ...]``; empty when every name a shown
    (open or folded) cell uses is bound in some shown cell.
    """
    import jupytext

    notebook = jupytext.read(md)
    shown_bound: set[str] = set()
    removed_bound: set[str] = set()
    parsed = []
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code_cells, 1):
        source = "\n".join(line for line in cell.source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        bound, read = _names(ast.parse(source))
        is_removed = bool(REMOVING_TAGS & set(cell.metadata.get("tags", [])))
        (removed_bound if is_removed else shown_bound).update(bound)
        parsed.append((number, is_removed, read))
    only_hidden = removed_bound - shown_bound
    return [(number, read & only_hidden) for number, is_removed, read in parsed
            if not is_removed and read & only_hidden]


def main(argv: list[str]) -> int:
    site = Path(argv[1]) if len(argv) > 1 else ROOT / "_build" / "html"
    pages = argv[2:] or [p for p in QUESTION_PAGES if (site / f"{p}.html").is_file()]
    totals = [0, 0, 0, 0]
    print(f"{'page':16} {'prose':>6} {'code':>6} {'output':>6} {'folded':>6} {'prose%':>6}"
          f" {'cells open/folded/removed':>26} {'words before code':>18} answer-first")
    for page in pages:
        r = read_page(site / f"{page}.html")
        totals = [a + b for a, b in zip(totals, (r.prose, r.code, r.output, r.folded))]
        print(f"{page:16} {r.prose:6} {r.code:6} {r.output:6} {r.folded:6} {r.prose_share:6.0%}"
              f" {f'{r.visible_cells}/{r.folded_cells}/{r.removed_cells}':>26}"
              f" {r.words_before_first_code:18} {r.answer_before_first_code}")
    seen = sum(totals[:3])
    print(f"{'all':16} {totals[0]:6} {totals[1]:6} {totals[2]:6} {totals[3]:6} "
          f"{totals[0] / seen if seen else 0:6.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

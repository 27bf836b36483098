"""Sphinx extension: collect the book's checked claims and report them.

Each executed page shows one ``<p class="convbook-check" data-claim=...>``
line per claim that held (see ``convbook.book.check``). After a page is read,
this extension finds those lines in its doctree and keeps them in the build
environment. Two things use them:

* the role ``{checkcount}`docname``` is replaced by the number of checks on
  that page (the front page's "answers at a glance" table);
* the directive ``{verification-report}`` becomes a table of every claim of
  the book, by page, with the total, the engine's version and source hash and
  the NumPy version (docs/verification.md).

Pages that use either are re-written whenever any page changes, so the
numbers always describe the current build. A page that names an unknown page
in ``{checkcount}``, or a page that reports zero checks, is a build warning
(an error under ``-W``).

The format of a check line is :class:`convbook.book.CheckResult`'s; it is read
back with :func:`convbook.book.checks.checks_in_html`.

Every page runs to its end even if a cell fails (``nb_execution_allow_errors``
in conf.py). A failed cell leaves its traceback among the page's outputs; this
extension finds them (:func:`failures_in`), and when the build finishes it
fails it, listing every claim that did not hold, page by page, with both
values, as the last lines of the output (after Sphinx's own last line). A
cell that failed for any other reason fails the build too, its traceback
logged when the page was read. A good build ends with a summary of what it
verified (:func:`summary_lines`).
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from convbook_cache import engine_source_hash
from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.util import logging

from convbook.book.checks import BASES, CHECK_CLASS, CLAIM_FAILED, CheckResult, checks_in_html

logger = logging.getLogger(__name__)


def checks_in(doctree: nodes.Node) -> list[CheckResult]:
    """The checks shown in a page's doctree, in page order."""
    found: list[CheckResult] = []
    for raw in doctree.findall(nodes.raw):
        if "html" in raw.get("format", "").split() and CHECK_CLASS in raw.astext():
            found.extend(checks_in_html(raw.astext()))
    return found


@dataclass(frozen=True)
class Failure:
    """A code cell of a page that raised: a claim that did not hold, or another exception."""

    docname: str
    source: str  # the page's file, as the build was given it (docs/pooling.md)
    line: int | None  # of the cell in that file
    claim: bool  # a ClaimError (a claim that did not hold), else any other exception
    message: str  # "claim does not hold: <claim>: computed ..., expected ..." or "NameError: ..."
    traceback: str

    def summary(self, longest: int = 400) -> str:
        """One line: where, and the message (cut after ``longest`` characters; it is in full above)."""
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        message = self.message if len(self.message) <= longest else self.message[:longest] + " … (in full above)"
        return f"{where}: {message}" if self.claim else f"{where}: {message}   [traceback above]"


def _error_message(traceback: str) -> tuple[bool, str]:
    """``(is a ClaimError, message)`` from the text of an IPython traceback."""
    lines = traceback.rstrip().splitlines()
    marker = f"ClaimError: {CLAIM_FAILED}"
    for n in range(len(lines) - 1, -1, -1):
        if lines[n].startswith(marker):
            return True, " ".join(" ".join(lines[n:]).split())[len("ClaimError: "):]
    last = next((line.strip() for line in reversed(lines) if line.strip()), "an exception")
    return False, last


def failures_in(doctree: nodes.Node, docname: str, source: str) -> list[Failure]:
    """Every failed code cell of a page (its traceback output), in page order.

    Cells tagged ``raises-exception`` fail on purpose and are skipped.
    """
    found = []
    for cell in doctree.findall(nodes.container):
        if cell.get("nb_element") != "cell_code" or "tag_raises-exception" in cell["classes"]:
            continue
        for block in cell.findall(nodes.literal_block):
            if "traceback" in block["classes"]:
                claim, message = _error_message(block.astext())
                found.append(Failure(docname, source, block.line or cell.line, claim, message, block.astext()))
    return found


class checkcount_node(nodes.Inline, nodes.TextElement):
    """Placeholder for the number of checks on a page."""


class report_node(nodes.General, nodes.Element):
    """Placeholder for the verification report."""


def checkcount_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    env = inliner.document.settings.env
    env.convbook_check_users.add(env.docname)
    node = checkcount_node(rawtext, "", target=text.strip())
    node.line = lineno
    return [node], []


class VerificationReport(Directive):
    has_content = False

    def run(self):
        env = self.state.document.settings.env
        env.convbook_check_users.add(env.docname)
        return [report_node()]


# ---------------------------------------------------------------- environment

#: Per page: the checks that held, the cells that failed, and how the page's
#: outputs were obtained in the build that last read it ("executed" or "cache").
_PER_PAGE = ("convbook_checks", "convbook_failures", "convbook_runs")


def _init_env(app, env, docnames=None):
    for name in _PER_PAGE:
        if not hasattr(env, name):
            setattr(env, name, {})
    if not hasattr(env, "convbook_check_users"):
        env.convbook_check_users = set()
    if docnames is not None:  # env-before-read-docs: the pages this build reads
        env.convbook_reading = set(docnames)
        env.convbook_read_start = time.time()


def _purge(app, env, docname):
    _init_env(app, env)
    for name in _PER_PAGE:
        getattr(env, name).pop(docname, None)
    env.convbook_check_users.discard(docname)


def _merge(app, env, docnames, other):
    _init_env(app, env)
    for docname in docnames:
        for name in _PER_PAGE:
            if docname in getattr(other, name, {}):
                getattr(env, name)[docname] = getattr(other, name)[docname]
        if docname in getattr(other, "convbook_check_users", set()):
            env.convbook_check_users.add(docname)


def _read(app, doctree):
    env = app.env
    _init_env(app, env)
    found = checks_in(doctree)
    if found:
        env.convbook_checks[env.docname] = found
    failures = failures_in(doctree, env.docname, os.path.relpath(env.doc2path(env.docname)))
    for failure in failures:
        where = (env.docname, failure.line)
        if failure.claim:
            logger.warning("ClaimError: %s", failure.message, location=where, type="convbook", subtype="claim")
        else:
            logger.warning("a cell raised %s\n%s", failure.message, failure.traceback, location=where,
                           type="convbook", subtype="cell")
    if failures:
        env.convbook_failures[env.docname] = failures
    run = _how_run(env, env.docname)
    if run:
        env.convbook_runs[env.docname] = run


def _how_run(env, docname: str) -> str | None:
    """"executed" if myst-nb ran the page in this build, "cache" if it took the cached outputs."""
    try:
        from myst_nb.sphinx_ import NbMetadataCollector
    except ImportError:
        return None
    data = NbMetadataCollector.get_exec_data(env, docname)
    if not data:
        return None
    return "executed" if data["mtime"] >= getattr(env, "convbook_read_start", 0) else "cache"


def _outdated(app, env, added, changed, removed):
    # Counts and the report depend on every other page.
    _init_env(app, env)
    if added or changed or removed:
        return sorted(env.convbook_check_users - set(added) - set(changed))
    return []


# ---------------------------------------------------------------- resolution


def _title(env, docname: str) -> str:
    title = env.titles.get(docname)
    return title.astext() if title is not None else docname


def _page_link(app, fromdocname: str, docname: str, text: str | None = None) -> nodes.Node:
    ref = nodes.reference("", "", internal=True)
    ref["refuri"] = app.builder.get_relative_uri(fromdocname, docname)
    ref += nodes.Text(text or _title(app.env, docname))
    return ref


def _table(headers: list[str], rows: list[list[nodes.Node]], widths: list[int]) -> nodes.table:
    table = nodes.table(classes=["convbook-report"])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for text in headers:
        row += nodes.entry("", nodes.paragraph("", text))
    head += row
    body = nodes.tbody()
    group += body
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += cell if isinstance(cell, nodes.paragraph) else nodes.paragraph("", "", cell)
            row += entry
        body += row
    return table


def _pages_with_checks(app) -> list[str]:
    """The pages that show checks, in the order of the front page's contents."""
    env = app.env
    toc = env.toctree_includes.get(app.config.root_doc, [])
    return sorted((d for d in env.found_docs if d in env.convbook_checks),
                  key=lambda d: (toc.index(d) if d in toc else len(toc), d))


def _failures(app) -> list[Failure]:
    env = app.env
    return [f for d in sorted(env.convbook_failures) if d in env.found_docs for f in env.convbook_failures[d]]


def _engine_hash() -> str:
    """The engine's fingerprint as the verification report shows it."""
    import convbook

    return engine_source_hash(Path(convbook.__file__).resolve().parent)


def _report(app, fromdocname: str) -> list[nodes.Node]:
    import numpy

    import convbook

    env = app.env
    checks = env.convbook_checks
    order = _pages_with_checks(app)
    total = sum(len(checks[d]) for d in order)
    failures = _failures(app)
    held = "all held" if not failures else (f"these held; {sum(f.claim for f in failures)} did not, and "
                                            f"{sum(not f.claim for f in failures)} cells failed otherwise "
                                            "(the build failed)")

    out: list[nodes.Node] = []
    summary = nodes.bullet_list()
    for label, value in [
        ("claims checked in this build", f"{total} on {len(order)} pages, {held}"),
        ("convbook version", convbook.__version__),
        ("convbook source hash (SHA-256 of src/convbook)", _engine_hash()),
        ("NumPy version", numpy.__version__),
    ]:
        item = nodes.list_item()
        para = nodes.paragraph()
        para += nodes.strong(text=f"{label}: ")
        para += nodes.literal(text=value)
        item += para
        summary += item
    out.append(summary)

    # What each page's expected values come from, by kind (convbook.book.BASES;
    # check() refuses any other basis).
    def kind(item: CheckResult) -> str:
        return item.basis.partition(":")[0].strip()

    kinds = [k for k in BASES if any(kind(i) == k for d in order for i in checks[d])]
    page_rows = [[_page_link(app, fromdocname, d), nodes.Text(str(len(checks[d]))),
                  *(nodes.Text(str(sum(kind(i) == k for i in checks[d]))) for k in kinds)]
                 for d in order]
    page_rows.append([nodes.strong(text="all pages"), nodes.strong(text=str(total)),
                      *(nodes.strong(text=str(sum(kind(i) == k for d in order for i in checks[d]))) for k in kinds)])
    out.append(_table(["page", "checks", *kinds], page_rows, [40, 10, *[50 // max(len(kinds), 1)] * len(kinds)]))
    legend = nodes.bullet_list()
    for k in kinds:
        item = nodes.list_item()
        para = nodes.paragraph()
        para += nodes.strong(text=f"{k}: ")
        para += nodes.Text(BASES[k])
        item += para
        legend += item
    out.append(legend)

    rows = []
    for docname in order:
        for number, item in enumerate(checks[docname], 1):
            rows.append([
                _page_link(app, fromdocname, docname, f"{_title(env, docname)} #{number}"),
                nodes.Text(item.claim),
                nodes.literal(text=item.computed),
                nodes.Text(item.comparison),
                nodes.literal(text=item.expected),
                nodes.Text(item.basis),
            ])
    out.append(_table(["page", "claim", "computed", "comparison", "expected", "basis"], rows,
                      [14, 36, 15, 10, 15, 10]))
    return out


def _resolve(app, doctree, fromdocname):
    env = app.env
    _init_env(app, env)
    for node in list(doctree.findall(checkcount_node)):
        target = node["target"]
        if target not in env.found_docs:
            logger.warning("checkcount: no page named %r", target, location=node)
            node.replace_self(nodes.Text("?"))
            continue
        count = len(env.convbook_checks.get(target, []))
        if count == 0:
            logger.warning("checkcount: page %r shows no checked claim", target, location=node)
        node.replace_self(nodes.Text(str(count)))
    for node in list(doctree.findall(report_node)):
        node.replace_self(_report(app, fromdocname))


# ---------------------------------------------------------------- end of the build


def summary_lines(app) -> list[str]:
    """What a good build verified: claims, pages, engine fingerprint, how pages were run, where to look."""
    env = app.env
    order = _pages_with_checks(app)
    total = sum(len(env.convbook_checks[d]) for d in order)
    reading = getattr(env, "convbook_reading", set())
    runs = {d: env.convbook_runs.get(d) for d in order}
    executed = sorted(d for d in order if d in reading and runs[d] == "executed")
    cached = sorted(d for d in order if d in reading and runs[d] == "cache")
    kept = [d for d in order if d not in reading]
    how = []
    if executed:
        how.append(f"{len(executed)} executed now (new, or their code, the engine or the environment changed"
                   f"{': ' + ', '.join(executed) if len(executed) <= 6 else ''})")
    if cached:
        how.append(f"{len(cached)} taken from the execution cache (their code and the engine are unchanged "
                   "since they ran)")
    if kept:
        how.append(f"{len(kept)} not re-read (nothing they depend on changed since the last build)")
    index = Path(app.outdir) / f"{app.config.root_doc}{app.builder.out_suffix}"
    return [
        f"convbook: verified {total} claims on {len(order)} pages, all held.",
        f"  engine fingerprint (convbook source hash, as on the verification page): {_engine_hash()}",
        f"  pages: {'; '.join(how) or 'none'}",
        f"  open the site: {os.path.relpath(index)}",
    ]


def failure_lines(failures: list[Failure]) -> list[str]:
    """The end of a failed build: other failures first, then every claim that did not hold."""
    claims = [f for f in failures if f.claim]
    others = [f for f in failures if not f.claim]
    pages = len({f.docname for f in failures})
    head = (f"convbook: the book does not verify: {len(claims)} claims do not hold"
            + (f" and {len(others)} cells raised another exception" if others else "")
            + f", on {pages} pages (every cell of every page was run):")
    return [head, *(f"  {f.summary()}" for f in others), *(f"  {f.summary()}" for f in claims)]


_AT_EXIT: list[tuple[list[str], bool]] = []


def _print_at_exit() -> None:
    for lines, failed in _AT_EXIT:
        sys.stdout.flush()
        stream = sys.stderr if failed else sys.stdout
        print("", *lines, sep="\n", file=stream, flush=True)


def _finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    _init_env(app, app.env)
    failures = _failures(app)
    if failures:
        app.statuscode = 1  # fail even without -W (make page)
        lines = failure_lines(failures)
    else:
        lines = summary_lines(app)
    # Sphinx prints its own verdict after this event; the summary is printed
    # when the process ends, so that it is the last thing the reader sees.
    if not _AT_EXIT:
        atexit.register(_print_at_exit)
    _AT_EXIT.append((lines, bool(failures)))


def setup(app):
    app.add_node(checkcount_node)
    app.add_node(report_node)
    app.add_role("checkcount", checkcount_role)
    app.add_directive("verification-report", VerificationReport)
    app.connect("env-before-read-docs", _init_env)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("doctree-read", _read)
    app.connect("env-get-outdated", _outdated)
    app.connect("doctree-resolved", _resolve)
    app.connect("build-finished", _finished)
    return {"version": "1", "env_version": 3, "parallel_read_safe": True, "parallel_write_safe": True}

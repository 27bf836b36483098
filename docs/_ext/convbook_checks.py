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
"""

from __future__ import annotations

import hashlib
from html.parser import HTMLParser
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.util import logging

logger = logging.getLogger(__name__)

_FIELDS = ("claim", "computed", "expected", "comparison")


class _CheckParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "convbook-check" in (attributes.get("class") or "").split():
            self.found.append({f: attributes.get(f"data-{f}", "") or "" for f in _FIELDS})


def checks_in(doctree: nodes.Node) -> list[dict[str, str]]:
    """The checks shown in a page's doctree, in page order."""
    found: list[dict[str, str]] = []
    for raw in doctree.findall(nodes.raw):
        if "html" in raw.get("format", "").split() and "convbook-check" in raw.astext():
            parser = _CheckParser()
            parser.feed(raw.astext())
            found.extend(parser.found)
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


def _init_env(app, env, docnames=None):
    if not hasattr(env, "convbook_checks"):
        env.convbook_checks = {}
    if not hasattr(env, "convbook_check_users"):
        env.convbook_check_users = set()


def _purge(app, env, docname):
    _init_env(app, env)
    env.convbook_checks.pop(docname, None)
    env.convbook_check_users.discard(docname)


def _merge(app, env, docnames, other):
    _init_env(app, env)
    for docname in docnames:
        if docname in getattr(other, "convbook_checks", {}):
            env.convbook_checks[docname] = other.convbook_checks[docname]
        if docname in getattr(other, "convbook_check_users", set()):
            env.convbook_check_users.add(docname)


def _read(app, doctree):
    env = app.env
    _init_env(app, env)
    found = checks_in(doctree)
    if found:
        env.convbook_checks[env.docname] = found


def _outdated(app, env, added, changed, removed):
    # Counts and the report depend on every other page.
    _init_env(app, env)
    if added or changed or removed:
        return sorted(env.convbook_check_users - set(added) - set(changed))
    return []


# ---------------------------------------------------------------- resolution


def engine_source_hash(src: Path) -> str:
    """SHA-256 of every file of the engine package (paths and contents)."""
    h = hashlib.sha256()
    for path in sorted(src.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.relative_to(src.parent).as_posix().encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


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


def _report(app, fromdocname: str) -> list[nodes.Node]:
    import numpy

    import convbook

    env = app.env
    checks = env.convbook_checks
    toc = env.toctree_includes.get(app.config.root_doc, [])
    order = sorted((d for d in env.found_docs if d in checks),
                   key=lambda d: (toc.index(d) if d in toc else len(toc), d))
    total = sum(len(checks[d]) for d in order)
    src = Path(convbook.__file__).resolve().parent

    out: list[nodes.Node] = []
    summary = nodes.bullet_list()
    for label, value in [
        ("claims checked in this build", f"{total} on {len(order)} pages, all held"),
        ("convbook version", convbook.__version__),
        ("convbook source hash (SHA-256 of src/convbook)", engine_source_hash(src)),
        ("NumPy version", numpy.__version__),
    ]:
        item = nodes.list_item()
        para = nodes.paragraph()
        para += nodes.strong(text=f"{label}: ")
        para += nodes.literal(text=value)
        item += para
        summary += item
    out.append(summary)

    page_rows = [[_page_link(app, fromdocname, d), nodes.Text(str(len(checks[d])))] for d in order]
    out.append(_table(["page", "checks"], page_rows, [70, 30]))

    rows = []
    for docname in order:
        for number, item in enumerate(checks[docname], 1):
            rows.append([
                _page_link(app, fromdocname, docname, f"{_title(env, docname)} #{number}"),
                nodes.Text(item["claim"]),
                nodes.literal(text=item["computed"]),
                nodes.Text(item["comparison"]),
                nodes.literal(text=item["expected"]),
                nodes.Text("✓ held"),
            ])
    out.append(_table(["page", "claim", "computed", "comparison", "expected", "result"], rows,
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
    return {"version": "1", "env_version": 1, "parallel_read_safe": True, "parallel_write_safe": True}

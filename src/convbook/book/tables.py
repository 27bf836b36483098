"""A small table for the book's pages: HTML in a notebook, aligned text when printed."""

from __future__ import annotations

import html
from collections.abc import Sequence

__all__ = ["Table"]


class Table:
    """Rows of already formatted cells, shown as an HTML table or as plain text.

    Parameters
    ----------
    header : sequence of str
    rows : sequence of sequences
        Each row has one cell per header entry; cells are shown with ``str``.
    caption : str, optional

    Raises
    ------
    ValueError
        If a row does not have one cell per header entry.

    Examples
    --------
    >>> print(Table(["layer", "params"], [["conv1", "34,944"]]))
    layer  params
    -----  ------
    conv1  34,944
    """

    def __init__(self, header: Sequence[str], rows: Sequence[Sequence], caption: str = "") -> None:
        self.header = [str(h) for h in header]
        self.rows = [[str(c) for c in row] for row in rows]
        self.caption = caption
        for i, row in enumerate(self.rows):
            if len(row) != len(self.header):
                raise ValueError(
                    f"Table: every row must have {len(self.header)} cells (one per header entry); "
                    f"got {len(row)} in rows[{i}]={row!r}"
                )

    def __str__(self) -> str:
        widths = [max(len(r[i]) for r in [self.header, *self.rows]) for i in range(len(self.header))]
        lines = [self.caption] if self.caption else []
        for row in [self.header, ["-" * w for w in widths], *self.rows]:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        def cells(tag, row):
            return "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in row)

        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        body = "".join(f"<tr>{cells('td', r)}</tr>" for r in self.rows)
        return (f'<table class="table convbook-table">{caption}<thead><tr>{cells("th", self.header)}'
                f"</tr></thead><tbody>{body}</tbody></table>")

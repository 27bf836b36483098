"""Checked claims: :func:`check`, :func:`check_range` and the "✓ checked" line they show.

A check compares what a page computed with what its claim says. A mismatch
raises :class:`~convbook.book.ClaimError`, which stops the page and so fails the build; a
match shows a :class:`CheckResult`, one line starting with "✓ checked". Its
HTML form is the one format of a check line: the build's Sphinx extension and
the site's tests read it back with ``CheckResult.from_attrs`` and
:func:`checks_in_html`, so it is written and read here only.
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, fields
from html.parser import HTMLParser
from typing import Any

import numpy as np

from . import _ipython

__all__ = ["BASES", "CHECK_CLASS", "CLAIM_FAILED", "CheckResult", "ClaimError", "check", "check_range", "checks_in_html"]

#: The HTML class of a check line.
CHECK_CLASS = "convbook-check"


class ClaimError(AssertionError):
    """A claim of the book did not hold: the computed value differs from the expected one.

    Its message starts with :data:`~convbook.book.checks.CLAIM_FAILED`, then
    names the claim and both values.
    """


ClaimError.__module__ = "convbook.book"  # its public name, as pages and tracebacks show it

#: How the message of every :class:`~convbook.book.ClaimError` starts.
CLAIM_FAILED = "claim does not hold"


@dataclass(frozen=True, repr=False)
class CheckResult:
    """A claim that held; displays as a "✓ checked" line.

    The HTML form carries every field as a ``data-`` attribute of an element
    with the class :data:`CHECK_CLASS`; the book's Sphinx extension and the
    site's tests read them back with ``from_attrs`` (or
    :func:`checks_in_html`) to count each page's checks and build the
    verification report.

    Examples
    --------
    >>> line = CheckResult("3 + 4 is 7", "7", "7", "equals", "identity")
    >>> checks_in_html(line._repr_html_()) == [line]
    True
    """

    claim: str
    computed: str
    expected: str
    comparison: str
    basis: str

    def __repr__(self) -> str:
        return (f"✓ checked: {self.claim} (computed {self.computed}; {self.comparison} {self.expected})"
                f" [{self.basis}]")

    def _repr_html_(self) -> str:
        data = " ".join(f'data-{f.name}="{html.escape(getattr(self, f.name), quote=True)}"' for f in fields(self))
        return (
            f'<p class="{CHECK_CLASS}" {data}>'
            f'<span class="convbook-check-mark" aria-hidden="true">✓</span> '
            f"<strong>checked:</strong> {html.escape(self.claim)} "
            f'<span class="convbook-check-values">(computed <code>{html.escape(self.computed)}</code>; '
            f"{html.escape(self.comparison)} <code>{html.escape(self.expected)}</code>)</span> "
            f'<span class="convbook-check-basis">[{html.escape(self.basis)}]</span></p>'
        )

    @staticmethod
    def is_check(attrs: Mapping[str, str | None]) -> bool:
        """Whether an HTML element with these attributes is a check line."""
        return CHECK_CLASS in (attrs.get("class") or "").split()

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, str | None]) -> CheckResult:
        """The check whose line has these (unescaped) HTML attributes; missing fields read as ""."""
        return cls(**{f.name: attrs.get(f"data-{f.name}") or "" for f in fields(cls)})


class _CheckParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[CheckResult] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if CheckResult.is_check(attributes):
            self.found.append(CheckResult.from_attrs(attributes))


def checks_in_html(text: str) -> list[CheckResult]:
    """Every check line in an HTML text, in order."""
    parser = _CheckParser()
    parser.feed(text)
    parser.close()
    return parser.found


#: What the expected value of a check comes from, independent of the code that
#: computed the value it is compared with. ``basis="published: Table 1"``: the
#: kind, then (optionally) the detail.
BASES = {
    "loop": "a loop or formula written out on the page",
    "published": "a number printed in a paper, a table or a framework's documentation",
    "library": "another library (NumPy, SciPy)",
    "identity": "an exact mathematical identity",
    "measured": "a measurement: perturb or count what a computation actually reads or holds",
    "cross-path": "a different function or algorithm of the engine computing the same thing",
    "construction": "true by construction (the page says why)",
}


def _basis(basis: str, function: str) -> str:
    kind = basis.partition(":")[0].strip() if isinstance(basis, str) else None
    if kind not in BASES:
        raise ValueError(f"{function}: basis must start with one of {', '.join(BASES)} "
                         f"(then ': detail' if useful); got {basis!r}")
    return basis.strip()



def _show(result: CheckResult) -> None:
    if not _ipython.display(result):  # plain Python: print the line
        print(repr(result))


def _describe(value: Any) -> str:
    """A short, readable rendering of a compared value for the report."""
    if isinstance(value, np.ndarray):
        if value.size <= 8:
            return np.array2string(value, separator=", ", threshold=8)
        # A few values a reader can compare by eye, and where they come from.
        flat = value.ravel()
        shown = ", ".join(_describe(v.item()) for v in flat[:3])
        size = f"{value.size} values" if value.ndim == 1 else "×".join(map(str, value.shape)) + " array"
        return f"{size}: {shown}, …, {_describe(flat[-1].item())}"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Rational):  # a Fraction: 73/576, as the paper would write it
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, numbers.Real):
        return f"{float(value):.6g}"
    if isinstance(value, tuple | list | dict):
        text = _describe_items(value)
    else:
        text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _describe_items(value: tuple | list | dict) -> str:
    """A tuple, list or dict with each item described (NumPy scalars read as numbers).

    Inside a container, digits are grouped with a narrow space (186 624), so that
    a comma only ever separates items.
    """

    def item(v: Any) -> str:
        text = _describe(v)
        return text.replace(",", "\u202f") if isinstance(v, numbers.Integral) else text

    if isinstance(value, dict):
        return "{" + ", ".join(f"{k if isinstance(k, str) else item(k)}: {item(v)}" for k, v in value.items()) + "}"
    inner = ", ".join(item(v) for v in value)
    if isinstance(value, tuple):
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return f"[{inner}]"


def _equal(computed: Any, expected: Any) -> bool:
    if isinstance(computed, np.ndarray) or isinstance(expected, np.ndarray):
        return bool(np.array_equal(np.asarray(computed), np.asarray(expected)))
    return bool(computed == expected)


def check(claim: str, computed: Any, expected: Any, *, basis: str,
          rtol: float = 0.0, atol: float = 0.0) -> None:
    """Check that a claim holds: ``computed`` must equal ``expected``.

    Parameters
    ----------
    claim : str
        The claim in words, as the reader should see it ("layer 2 outputs k2 maps").
    computed : object
        What the page's code computed: a number, a tuple (a shape), a string
        or an array.
    expected : object
        What the claim says it is, from a source independent of the code that
        computed ``computed``.
    basis : str
        Where ``expected`` comes from: one of the kinds in :data:`BASES`
        ("loop", "published", "library", "identity", "measured",
        "cross-path", "construction"), optionally followed by ": detail"
        ("published: Table 1"). The verification report counts checks by kind.
    rtol, atol : float, default 0
        If either is non-zero, numbers and arrays are compared with
        ``numpy.allclose(computed, expected, rtol, atol)`` (shapes must match);
        otherwise the comparison is exact (``==``, or ``numpy.array_equal``
        for arrays).

    Raises
    ------
    convbook.book.ClaimError
        If the values differ. The message names the claim and both values.

    Examples
    --------
    >>> check("3 + 4 is 7", 3 + 4, 7, basis="identity")
    ✓ checked: 3 + 4 is 7 (computed 7; equals 7) [identity]
    >>> check("0.1 + 0.2 is 0.3 to 1e-12", 0.1 + 0.2, 0.3, basis="identity", atol=1e-12)
    ✓ checked: 0.1 + 0.2 is 0.3 to 1e-12 (computed 0.3; within rtol=0, atol=1e-12 of 0.3) [identity]
    >>> check("0.1 + 0.2 is exactly 0.3", 0.1 + 0.2, 0.3, basis="identity")
    Traceback (most recent call last):
    ...
    convbook.book.ClaimError: claim does not hold: 0.1 + 0.2 is exactly 0.3: computed 0.30000000000000004, expected 0.3
    """
    if not isinstance(claim, str) or not claim.strip():
        raise ValueError(f"check: claim must be a non-empty string; got {claim!r}")
    basis = _basis(basis, "check")
    if rtol < 0 or atol < 0:
        raise ValueError(f"check: rtol and atol must be >= 0; got rtol={rtol}, atol={atol}")
    if rtol or atol:
        a, b = np.asarray(computed), np.asarray(expected)
        ok = a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))
        comparison = f"within rtol={rtol:g}, atol={atol:g} of"
        if ok and a.size > 1:
            gap = float(np.max(np.abs(a.astype(float) - b.astype(float))))
            comparison = f"largest difference {gap:.2g}, within rtol={rtol:g}, atol={atol:g} of"
    else:
        ok = _equal(computed, expected)
        comparison = "equals"
    if not ok:
        raise ClaimError(
            f"{CLAIM_FAILED}: {claim}: computed {computed!r}, expected {expected!r}"
        )
    _show(CheckResult(claim, _describe(computed), _describe(expected), comparison, basis))


def check_range(claim: str, computed: float, low: float, high: float, *, basis: str) -> None:
    """Check that a claim holds: ``low <= computed <= high``.

    For quantities whose claim is a range (a deviation from a printed number, a
    bound derived on the page); the bounds belong in the prose too. Never for
    a timing: timings are shown, not checked. ``basis`` is as for :func:`check`.

    Raises
    ------
    convbook.book.ClaimError
        If ``computed`` is outside ``[low, high]`` or is not a finite number.

    Examples
    --------
    >>> check_range("the slope is about 2", 2.03, 1.6, 2.4, basis="identity: a c² law")
    ✓ checked: the slope is about 2 (computed 2.03; between 1.6 and 2.4) [identity: a c² law]
    """
    basis = _basis(basis, "check_range")
    if not low <= high:
        raise ValueError(f"check_range: low must be <= high; got low={low}, high={high}")
    value = float(computed)
    if not (math.isfinite(value) and low <= value <= high):
        raise ClaimError(f"{CLAIM_FAILED}: {claim}: computed {computed!r}, expected between {low} and {high}")
    _show(CheckResult(claim, _describe(value), f"{low:g} and {high:g}", "between", basis))


"""What the book's pages use besides the engine: checked claims, glued numbers, figures.

Every page of the book imports these three the same way::

    from convbook.book import check, glue, show_figure

* :func:`check` states a claim and compares what the code computed with what
  the claim says. A mismatch raises :class:`ClaimError`, which stops the page
  and so fails the build; a match shows the reader a line starting with
  "✓ checked". The build collects those lines into the verification report.
* :func:`glue` hands a computed number to the page's prose (MyST-NB's ``glue``),
  so no number in the text is typed by hand. Outside a book build (a downloaded
  notebook, a script) it does nothing.
* :func:`show_figure` draws a matplotlib figure twice, for the light and the
  dark theme, and shows it with alt text computed by the page.

None of this needs anything but NumPy; matplotlib is imported only by
:func:`show_figure`, IPython only when it is running.
"""

from __future__ import annotations

import base64
import html
import io
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["CheckResult", "ClaimError", "check", "check_range", "glue", "show_figure"]


class ClaimError(AssertionError):
    """A claim of the book did not hold: the computed value differs from the expected one."""


@dataclass(frozen=True, repr=False)
class CheckResult:
    """A claim that held; displays as a "✓ checked" line.

    The HTML form carries the claim and both values as ``data-`` attributes
    with the class ``convbook-check``; the book's Sphinx extension reads them
    to build the verification report and to count each page's checks.
    """

    claim: str
    computed: str
    expected: str
    comparison: str

    def __repr__(self) -> str:
        return f"✓ checked: {self.claim} (computed {self.computed}; {self.comparison} {self.expected})"

    def _repr_html_(self) -> str:
        attrs = {
            "claim": self.claim,
            "computed": self.computed,
            "expected": self.expected,
            "comparison": self.comparison,
        }
        data = " ".join(f'data-{k}="{html.escape(v, quote=True)}"' for k, v in attrs.items())
        return (
            f'<p class="convbook-check" {data}>'
            f'<span class="convbook-check-mark" aria-hidden="true">✓</span> '
            f"<strong>checked:</strong> {html.escape(self.claim)} "
            f'<span class="convbook-check-values">(computed <code>{html.escape(self.computed)}</code>; '
            f"{html.escape(self.comparison)} <code>{html.escape(self.expected)}</code>)</span></p>"
        )


def _display(obj: Any) -> bool:
    """Display ``obj`` if IPython is running; return whether it was."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return False
    if get_ipython() is None:
        return False
    display(obj)
    return True


def _show(result: CheckResult) -> None:
    if not _display(result):  # plain Python: print the line
        print(repr(result))


def _describe(value: Any) -> str:
    """A short, readable rendering of a compared value for the report."""
    if isinstance(value, np.ndarray):
        if value.size <= 8:
            return np.array2string(value, separator=", ", threshold=8)
        return f"array of shape {value.shape}, dtype {value.dtype}"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return f"{float(value):.6g}"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _equal(computed: Any, expected: Any) -> bool:
    if isinstance(computed, np.ndarray) or isinstance(expected, np.ndarray):
        return bool(np.array_equal(np.asarray(computed), np.asarray(expected)))
    return bool(computed == expected)


def check(claim: str, computed: Any, expected: Any, *, rtol: float = 0.0, atol: float = 0.0) -> None:
    """Check that a claim holds: ``computed`` must equal ``expected``.

    Parameters
    ----------
    claim : str
        The claim in words, as the reader should see it ("layer 2 outputs k2 maps").
    computed : object
        What the page's code computed: a number, a tuple (a shape), a string
        or an array.
    expected : object
        What the claim says it is.
    rtol, atol : float, default 0
        If either is non-zero, numbers and arrays are compared with
        ``numpy.allclose(computed, expected, rtol, atol)`` (shapes must match);
        otherwise the comparison is exact (``==``, or ``numpy.array_equal``
        for arrays).

    Raises
    ------
    ClaimError
        If the values differ. The message names the claim and both values.

    Examples
    --------
    >>> check("3 + 4 is 7", 3 + 4, 7)
    ✓ checked: 3 + 4 is 7 (computed 7; equals 7)
    >>> check("0.1 + 0.2 is 0.3 to 1e-12", 0.1 + 0.2, 0.3, atol=1e-12)
    ✓ checked: 0.1 + 0.2 is 0.3 to 1e-12 (computed 0.3; within rtol=0, atol=1e-12 of 0.3)
    >>> check("0.1 + 0.2 is exactly 0.3", 0.1 + 0.2, 0.3)
    Traceback (most recent call last):
    ...
    convbook.book.ClaimError: claim does not hold: 0.1 + 0.2 is exactly 0.3: computed 0.30000000000000004, expected 0.3
    """
    if not isinstance(claim, str) or not claim.strip():
        raise ValueError(f"check: claim must be a non-empty string; got {claim!r}")
    if rtol < 0 or atol < 0:
        raise ValueError(f"check: rtol and atol must be >= 0; got rtol={rtol}, atol={atol}")
    if rtol or atol:
        a, b = np.asarray(computed), np.asarray(expected)
        ok = a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))
        comparison = f"within rtol={rtol:g}, atol={atol:g} of"
    else:
        ok = _equal(computed, expected)
        comparison = "equals"
    if not ok:
        raise ClaimError(
            f"claim does not hold: {claim}: computed {computed!r}, expected {expected!r}"
        )
    _show(CheckResult(claim, _describe(computed), _describe(expected), comparison))


def check_range(claim: str, computed: float, low: float, high: float) -> None:
    """Check that a claim holds: ``low <= computed <= high``.

    For measured quantities (a fitted slope, a ratio of timings) whose exact
    value depends on the machine; the bounds belong in the prose too.

    Raises
    ------
    ClaimError
        If ``computed`` is outside ``[low, high]`` or is not a finite number.

    Examples
    --------
    >>> check_range("the slope is about 2", 2.03, 1.6, 2.4)
    ✓ checked: the slope is about 2 (computed 2.03; between 1.6 and 2.4)
    """
    if not low <= high:
        raise ValueError(f"check_range: low must be <= high; got low={low}, high={high}")
    value = float(computed)
    if not (math.isfinite(value) and low <= value <= high):
        raise ClaimError(f"claim does not hold: {claim}: computed {computed!r}, expected between {low} and {high}")
    _show(CheckResult(claim, _describe(value), f"{low:g} and {high:g}", "between"))


def glue(name: str, value: Any) -> None:
    """Make ``value`` available to the page's prose as ``{glue:text}`name```.

    Integers are shown with thousands separators (60,965,224); format other
    values yourself (``f"{x:.2f}"``) before gluing. Outside a MyST-NB build
    (no ``myst_nb`` installed) this does nothing.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = f"{int(value):,}"
    try:
        from myst_nb import glue as _glue
    except ImportError:
        return
    _glue(name, value, display=False)


# ---------------------------------------------------------------- figures

#: Colours for the two themes: (text and lines, page background).
_THEMES = {"light": ("#1f2328", "#ffffff"), "dark": ("#e6edf3", "#121212")}


def _theme_rc(theme: str) -> dict[str, Any]:
    ink, _ = _THEMES[theme]
    return {
        "figure.facecolor": "none",
        "axes.facecolor": "none",
        "savefig.facecolor": "none",
        "savefig.transparent": True,
        "text.color": ink,
        "axes.labelcolor": ink,
        "axes.edgecolor": ink,
        "axes.titlecolor": ink,
        "xtick.color": ink,
        "ytick.color": ink,
        "grid.color": ink,
        "grid.alpha": 0.25,
        "legend.facecolor": "none",
        "legend.edgecolor": ink,
        "legend.labelcolor": ink,
        "patch.edgecolor": ink,
        "lines.color": ink,
        "font.size": 10,
    }


@dataclass(frozen=True, repr=False)
class Figure:
    """A figure rendered for both themes, with alt text; displays as HTML."""

    png: dict[str, bytes]
    width_px: int
    alt: str

    def __repr__(self) -> str:
        return f"<figure: {self.alt}>"

    def _repr_png_(self) -> bytes:
        return self.png["light"]

    def _repr_html_(self) -> str:
        alt = html.escape(self.alt, quote=True)
        imgs = []
        for theme in ("light", "dark"):
            src = "data:image/png;base64," + base64.b64encode(self.png[theme]).decode("ascii")
            # The dark variant is hidden unless the book's theme is dark
            # (see docs/_static/convbook.css); a notebook shows the light one.
            hidden = ' style="display:none"' if theme == "dark" else ""
            imgs.append(
                f'<img class="convbook-figure-{theme} only-{theme}" src="{src}" alt="{alt}" '
                f'width="{self.width_px}"{hidden}>'
            )
        return '<div class="convbook-figure">' + "".join(imgs) + "</div>"


def show_figure(draw: Callable[[], Any], *, alt: str, dpi: int = 144) -> Figure | None:
    """Draw a matplotlib figure for the light and the dark theme and show it.

    Parameters
    ----------
    draw : callable
        Called twice with no arguments, once under each theme's colours; it
        creates and returns a ``matplotlib.figure.Figure``. Use the default
        colours for text and axes (they follow the theme); choose data colours
        that read on both white and near-black.
    alt : str
        Alt text: what the figure shows, with its numbers.
    dpi : int, default 144
        Resolution of the PNGs (they are shown at 96 dpi, so 144 is sharp on
        high-density screens).

    Returns
    -------
    Figure or None
        Outside IPython the figure object is returned (``_repr_html_`` gives
        its HTML); inside IPython it is displayed and None is returned.
    """
    if not isinstance(alt, str) or len(alt.strip()) < 10:
        raise ValueError(f"show_figure: alt must describe the figure in words; got {alt!r}")
    import matplotlib.pyplot as plt

    png: dict[str, bytes] = {}
    for theme in ("light", "dark"):
        with plt.rc_context(_theme_rc(theme)):
            fig = draw()
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", transparent=True)
            plt.close(fig)
        png[theme] = buffer.getvalue()
    # Shown at 96 dpi: the PNG's own width (bytes 16-20 of its header) scaled.
    width_px = round(int.from_bytes(png["light"][16:20], "big") * 96 / dpi)
    result = Figure(png, width_px, alt)
    return None if _display(result) else result

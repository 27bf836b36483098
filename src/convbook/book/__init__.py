"""What the book's pages use besides the engine: checked claims, glued numbers, figures.

Every page of the book imports these the same way::

    from convbook.book import check, glue, show_figure

* :func:`~convbook.book.checks.check` (and :func:`~convbook.book.checks.check_range`) states a claim and compares what the
  code computed with what the claim says. A mismatch raises :class:`~convbook.book.ClaimError`,
  which fails the build; a match shows the reader a line starting with
  "✓ checked" (:mod:`convbook.book.checks`, which also defines that line's
  HTML format for the build's verification report).
* :func:`~convbook.book.glue` hands a computed number to the page's prose (MyST-NB's ``glue``),
  so no number in the text is typed by hand. Outside a book build (a downloaded
  notebook, a script) it does nothing.
* :func:`~convbook.book.figures.show_figure` draws a matplotlib figure twice, for the light and the
  dark theme, and shows it with alt text computed by the page
  (:mod:`convbook.book.figures`).
* :func:`~convbook.book.animation.show_animation` embeds a matplotlib animation as a step-through
  player that works offline, from the keyboard, in both themes, with alt
  text and a table of every step as its text alternative
  (:mod:`convbook.book.animation`).
* :class:`~convbook.book.tables.Table` shows rows of numbers as an HTML table, or as aligned text
  when printed (:mod:`convbook.book.tables`).

None of this needs anything but NumPy; matplotlib is imported only by
:func:`~convbook.book.figures.show_figure` and
:func:`~convbook.book.animation.show_animation`, IPython only when it is running.
"""

from __future__ import annotations

import numbers
from typing import Any

from .animation import AnimationPlayer, show_animation
from .checks import BASES, CheckResult, ClaimError, check, check_range
from .figures import Figure, show_figure
from .tables import Table

__all__ = ["BASES", "AnimationPlayer", "CheckResult", "ClaimError", "Figure", "Table", "check", "check_range",
           "glue", "show_animation", "show_figure"]


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


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
* ``show_animation`` embeds a matplotlib animation as a step-through
  player that works offline, from the keyboard, in both themes, with alt
  text and a table of every step as its text alternative.

None of this needs anything but NumPy; matplotlib is imported only by
:func:`show_figure` and ``show_animation``, IPython only when it is running.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["AnimationPlayer", "CheckResult", "ClaimError", "check", "check_range", "glue", "show_animation",
           "show_figure"]


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
        if ok and a.size > 1:
            gap = float(np.max(np.abs(a.astype(float) - b.astype(float))))
            comparison = f"largest difference {gap:.2g}, within rtol={rtol:g}, atol={atol:g} of"
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


# ---------------------------------------------------------------- animations

#: The one look of animation frames in both themes: dark ink on an opaque,
#: light "card" (a frame set drawn twice would double the page's weight; a
#: light card reads on the white and on the near-black page alike).
_CARD = {"ink": "#1f2328", "paper": "#fbfaf5"}

#: Icons of the player's buttons as inline SVG (24×24 view box, drawn in the
#: button's text colour). matplotlib's player uses Font Awesome from a CDN;
#: these replace it, so the player needs no network.
_ICON_PATHS = {
    "fa-minus": "M5 11h14v2H5z",
    "fa-fast-backward": "M3 5h2v14H3zM13 5v14l-7-7zM21 5v14l-8-7z",
    "fa-step-backward": "M6 5h2v14H6zM18 5v14l-9-7z",
    "fa-play fa-flip-horizontal": "M17 5v14L6 12z",
    "fa-pause": "M7 5h4v14H7zM13 5h4v14h-4z",
    "fa-play": "M7 5v14l11-7z",
    "fa-step-forward": "M16 5h2v14h-2zM6 5v14l9-7z",
    "fa-fast-forward": "M19 5h2v14h-2zM3 5v14l8-7zM11 5v14l7-7z",
    "fa-plus": "M11 5h2v6h6v2h-6v6h-2v-6H5v-2h6z",
}


def _svg_icon(path: str) -> str:
    return (f'<svg class="convbook-animation-icon" viewBox="0 0 24 24" width="18" height="18" '
            f'aria-hidden="true" focusable="false"><path fill="currentColor" d="{path}"/></svg>')


def _replace_once(text: str, old: str, new: str, what: str) -> str:
    """Replace ``old`` (which must occur exactly once) in matplotlib's player HTML."""
    count = text.count(old)
    if count != 1:  # matplotlib changed its template: fail loudly, never emit a half-fixed player
        raise RuntimeError(f"show_animation: cannot {what}: {old[:60]!r} occurs {count} times "
                           "in matplotlib's player HTML")
    return text.replace(old, new)


@dataclass(frozen=True, repr=False)
class AnimationPlayer:
    """A step-through player (matplotlib's ``to_jshtml``, made self-contained); displays as HTML."""

    html: str
    frames: int
    alt: str

    def __repr__(self) -> str:
        return f"<animation, {self.frames} frames, {len(self.html.encode()) / 1024:.0f} KB: {self.alt}>"

    def _repr_html_(self) -> str:
        return self.html


def _player_html(raw: str, *, alt: str, captions: list[str] | None, label: str,
                 columns: list[str], rows: list[list[str]], summary: str, dpi: float,
                 colors: int | None) -> tuple[str, int]:
    """Turn matplotlib's player into one that works offline, has names and a text alternative."""
    import re

    frames = re.findall(r'^  frames\[(\d+)\] = "data:image/(\w+);base64,((?:[^"\\]|\\\n)*)"$', raw, re.M)
    if [int(i) for i, _, _ in frames] != list(range(len(frames))) or not frames:
        raise RuntimeError("show_animation: no embedded frames found in matplotlib's player HTML")
    ident = re.search(r'id="_anim_img(\w+)"', raw)
    if ident is None:
        raise RuntimeError("show_animation: no frame image found in matplotlib's player HTML")
    ident = ident.group(1)
    # 1. No network: drop the Font Awesome style sheet, draw the icons inline.
    raw = re.sub(r'<link rel="stylesheet"\s+href="https?://[^"]*font-awesome[^"]*">', "", raw)
    for icon, path in _ICON_PATHS.items():
        raw = re.sub(rf'<i class="fa {re.escape(icon)}"></i>', _svg_icon(path), raw)
    if re.search(r"https?://|<i class=\"fa", raw):
        raise RuntimeError("show_animation: matplotlib's player still refers to the network or Font Awesome")
    # 2. Lighter frames: each PNG reduced to a palette of ``colors`` colours
    #    (flat drawings of numbers lose nothing visible; the size drops ~4×).
    pngs = [base64.b64decode(data.replace("\\\n", "")) for _, _, data in frames]
    if colors is not None:
        from PIL import Image  # a dependency of matplotlib

        reduced = []
        for png in pngs:
            image = Image.open(io.BytesIO(png)).convert("RGB")
            image = image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", optimize=True)
            reduced.append(buffer.getvalue())
        pngs = reduced
    uris = ["data:image/png;base64," + base64.b64encode(png).decode("ascii") for png in pngs]
    # 3. The frame image: alt text, its size at 96 dpi, and the first frame as
    #    its source (so that it shows before, or without, the script); the
    #    script takes frame 0 from it instead of holding a second copy.
    width = round(int.from_bytes(pngs[0][16:20], "big") * 96 / dpi)
    raw = _replace_once(
        raw, f'<img id="_anim_img{ident}">',
        f'<img id="_anim_img{ident}" class="convbook-animation-frame" width="{width}" '
        f'alt="{html.escape(alt, quote=True)}" src="{uris[0]}">',
        "give the frame image its alt text")
    block = re.compile(r'^  frames\[\d+\] = "data:image/\w+;base64,(?:[^"\\]|\\\n)*"\n', re.M)
    spans = [m.span() for m in block.finditer(raw)]
    if len(spans) != len(frames) or raw[spans[0][0]:spans[-1][1]].count("frames[") != len(frames):
        raise RuntimeError("show_animation: cannot find the frames in matplotlib's player HTML")
    script = "  frames[0] = document.getElementById(img_id).src;\n" + "".join(
        f'  frames[{n}] = "{uri}";\n' for n, uri in enumerate(uris) if n)
    raw = raw[:spans[0][0]] + script + raw[spans[-1][1]:]
    # 4. Every control has a name: the slider says what it moves through.
    raw = _replace_once(raw, 'class="anim-slider"',
                        f'class="anim-slider" aria-label="{html.escape(label, quote=True)}: frame"',
                        "name the slider")
    # 5. The current frame in words, under the image, updated on every frame.
    caption = ""
    if captions is not None:
        first_caption = html.escape(f"1 of {len(captions)}: {captions[0]}")
        caption = (f'<p class="convbook-animation-caption" id="_anim_caption{ident}" aria-live="polite">'
                   f"{first_caption}</p>")
        raw = _replace_once(raw, '<div class="anim-controls">', caption + '<div class="anim-controls">',
                            "place the caption")
        in_script = json.dumps(captions).replace("</", "<\\/")  # no "</script>" inside the script
        script = (
            "<script>\n(function () {\n"
            f"  var captions = {in_script};\n"
            "  var tries = 0;\n"
            "  function hook() {\n"
            f'    var player = window["anim{ident}"];\n'
            "    if (!player) { if (++tries < 250) setTimeout(hook, 20); return; }\n"
            f'    var caption = document.getElementById("_anim_caption{ident}");\n'
            f'    var slider = document.getElementById("_anim_slider{ident}");\n'
            "    var setFrame = player.set_frame;\n"
            "    player.set_frame = function (frame) {\n"
            "      setFrame.call(player, frame);\n"
            "      var words = (frame + 1) + ' of ' + captions.length + ': ' + captions[frame];\n"
            "      caption.textContent = words;\n"
            "      slider.setAttribute('aria-valuetext', words);\n"
            "    };\n"
            "    player.set_frame(player.current_frame);\n"
            "  }\n"
            "  setTimeout(hook, 0);\n"
            "})();\n</script>\n"
        )
        raw += script
    # 6. The text alternative: every step as a table, folded under the player.
    head = "".join(f'<th scope="col">{html.escape(c)}</th>' for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in rows)
    table = (f'<details class="convbook-animation-text"><summary>{html.escape(summary)}</summary>'
             f'<table class="table convbook-animation-table"><thead><tr>{head}</tr></thead>'
             f"<tbody>{body}</tbody></table></details>")
    player = (f'<div class="convbook-animation" role="group" aria-label="{html.escape(label, quote=True)}">'
              f"{raw}{table}</div>")
    return player, len(frames)


def show_animation(build: Callable[[], Any], *, alt: str, label: str, columns: list[str],
                   rows: list[list[Any]], summary: str = "Every step in numbers (text alternative)",
                   captions: list[str] | None = None, dpi: float = 96, colors: int | None = 32,
                   max_kb: float = 300) -> AnimationPlayer | None:
    """Show a matplotlib animation as a self-contained step-through player.

    The frames are rendered when the page runs and embedded in the HTML with
    matplotlib's ``Animation.to_jshtml`` (no network, no other package); the player is then made
    to work offline (its Font Awesome icons become inline SVG), every control
    gets an accessible name, the frame image gets ``alt`` text, and a table of
    every step (the text alternative) is folded under it. The frames are drawn
    once, with dark ink on an opaque light card, so they read on the light and
    on the dark page alike.

    Parameters
    ----------
    build : callable
        Called once with no arguments, under the card's colours; it creates a
        figure and returns the ``matplotlib.animation.Animation`` that draws
        it (for example a ``FuncAnimation`` with ``repeat=False``, so that the
        player stops on the last frame). Its ``interval`` is the player's
        speed. Figures it opens are closed afterwards.
    alt : str
        Alt text of the frame image: what the animation shows, with its numbers.
    label : str
        Accessible name of the player ("step-through of one output pixel").
    columns : list of str
        Column headings of the text alternative.
    rows : list of lists
        The text alternative: one row per step, one value per column
        (converted with ``str``).
    summary : str, optional
        The words on the fold that opens the text alternative.
    captions : list of str, optional
        One sentence per frame, shown under the image as the frame changes
        (and announced by screen readers). Must match the number of frames.
    dpi : float, default 96
        Resolution of the frames. They are shown at 96 dpi, so a higher value
        is sharper on high-density screens and heavier.
    colors : int or None, default 32
        Each frame is reduced to a palette of this many colours (Pillow's
        median cut, no dithering), which makes flat drawings of numbers about
        four times lighter; None keeps matplotlib's full-colour PNGs.
    max_kb : float, default 300
        The largest player (in KiB, frames and text alternative included)
        this call may produce. matplotlib's ``animation.embed_limit``, which
        drops frames past it with only a log warning, is set to four times
        this for the unreduced frames, and dropping a frame raises.

    Returns
    -------
    AnimationPlayer or None
        Outside IPython the player is returned (``.html`` is its HTML);
        inside IPython it is displayed and None is returned.

    Raises
    ------
    ValueError
        If an argument is malformed (the message names it), if ``captions``
        does not have one entry per frame, or if the player exceeds ``max_kb``.
    """
    if not callable(build):
        raise ValueError(f"show_animation: build must be a function that returns an Animation; got {build!r}")
    for name, value, shortest in (("alt", alt, 10), ("label", label, 3), ("summary", summary, 3)):
        if not isinstance(value, str) or len(value.strip()) < shortest:
            raise ValueError(f"show_animation: {name} must be a string of at least {shortest} characters; "
                             f"got {value!r}")
    if (not isinstance(columns, list | tuple) or not columns
            or not all(isinstance(c, str) and c.strip() for c in columns)):
        raise ValueError(f"show_animation: columns must be a non-empty list of headings; got {columns!r}")
    if not isinstance(rows, list | tuple) or not rows:
        raise ValueError(f"show_animation: rows must be a non-empty list of rows; got {rows!r}")
    for n, row in enumerate(rows):
        if not isinstance(row, list | tuple) or len(row) != len(columns):
            raise ValueError(f"show_animation: rows[{n}] must have one value per column "
                             f"({len(columns)}); got {row!r}")
    if captions is not None and (not isinstance(captions, list | tuple) or not captions
                                 or not all(isinstance(c, str) and c.strip() for c in captions)):
        raise ValueError(f"show_animation: captions must be a non-empty list of sentences; got {captions!r}")
    if colors is not None and (isinstance(colors, bool) or not isinstance(colors, numbers.Integral)
                               or not 2 <= colors <= 256):
        raise ValueError(f"show_animation: colors must be None or an integer from 2 to 256; got {colors!r}")
    for name, value in (("dpi", dpi), ("max_kb", max_kb)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
            raise ValueError(f"show_animation: {name} must be a positive number; got {value!r}")

    import logging

    import matplotlib.pyplot as plt
    from matplotlib.animation import Animation

    class _Dropped(logging.Handler):  # matplotlib drops frames past embed_limit with a warning
        def __init__(self) -> None:
            super().__init__(logging.WARNING)
            self.messages: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.messages.append(record.getMessage())

    ink, paper = _CARD["ink"], _CARD["paper"]
    rc = {**_theme_rc("light"), "text.color": ink, "axes.labelcolor": ink, "axes.edgecolor": ink,
          "axes.titlecolor": ink, "xtick.color": ink, "ytick.color": ink, "patch.edgecolor": ink,
          "figure.facecolor": paper, "savefig.facecolor": paper, "savefig.transparent": False,
          "axes.facecolor": paper,
          "figure.dpi": dpi, "savefig.dpi": dpi, "animation.frame_format": "png",
          # matplotlib silently drops frames past embed_limit (in MB, counted
          # before the palette reduction): allow 4 × max_kb there, raise below.
          "animation.embed_limit": 4 * max_kb / 1024}
    before = set(plt.get_fignums())
    logger = logging.getLogger("matplotlib.animation")
    dropped = _Dropped()
    logger.addHandler(dropped)
    try:
        with plt.rc_context(rc):
            anim = build()
            if not isinstance(anim, Animation):
                raise ValueError(f"show_animation: build must return a matplotlib Animation; got {anim!r}")
            raw = anim.to_jshtml()
    finally:
        logger.removeHandler(dropped)
        for number in set(plt.get_fignums()) - before:
            plt.close(number)
    if any("embed_limit" in m for m in dropped.messages):
        raise ValueError(f"show_animation: max_kb={max_kb:g} is too small for these frames "
                         "(matplotlib dropped frames past animation.embed_limit); use fewer or "
                         "smaller frames, or a larger max_kb")
    player, frames = _player_html(raw, alt=alt, captions=list(captions) if captions else None, label=label,
                                  columns=list(columns), rows=[[str(v) for v in row] for row in rows],
                                  summary=summary, dpi=dpi, colors=colors)
    if captions is not None and len(captions) != frames:
        raise ValueError(f"show_animation: captions has {len(captions)} entries; the animation has "
                         f"{frames} frames")
    size_kb = len(player.encode("utf-8")) / 1024
    if size_kb > max_kb:
        raise ValueError(f"show_animation: the player is {size_kb:.0f} KB, more than max_kb={max_kb:g}")
    result = AnimationPlayer(player, frames, alt)
    return None if _display(result) else result

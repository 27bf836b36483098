"""Figures drawn for both themes: :func:`show_figure`."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import _ipython

__all__ = ["Figure", "show_figure"]

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
    return None if _ipython.display(result) else result


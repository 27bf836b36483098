"""Animations as self-contained step-through players: :func:`show_animation`."""

from __future__ import annotations

import base64
import html
import io
import json
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import _ipython
from .figures import _theme_rc

__all__ = ["AnimationPlayer", "show_animation"]

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
    return None if _ipython.display(result) else result

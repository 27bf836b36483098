"""convbook.book.show_animation: a step-through player that works offline, from the keyboard, with a text alternative."""

from __future__ import annotations

import base64
import json
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from helpers import soup  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402

import convbook.book as book  # noqa: E402

FRAMES = 4
ALT = "A dot moving right, one step per frame, from x = 0 to x = 3."
LABEL = "Moving dot"
COLUMNS = ["Step", "x"]
ROWS = [[k + 1, k] for k in range(FRAMES)]
CAPTIONS = [f"the dot is at x = {k}" for k in range(FRAMES)]


def build(frames: int = FRAMES):
    def make():
        fig, ax = plt.subplots(figsize=(2, 1))
        ax.set(xlim=(-0.5, frames - 0.5), ylim=(-1, 1))
        (dot,) = ax.plot([0], [0], "o", color="#1a5fb4")

        def draw(k):
            dot.set_data([k], [0])
            ax.set_title(f"x = {k}")
            return [dot]

        return FuncAnimation(fig, draw, frames=frames, interval=500, repeat=False)

    return make


@pytest.fixture(autouse=True)
def _not_in_ipython(monkeypatch):
    """Always return the player (as in a plain script), even if a test elsewhere started IPython."""
    monkeypatch.setattr(book._ipython, "display", lambda obj: False)


def player(build_function=None, **overrides) -> book.AnimationPlayer:
    """The test animation's player; ``overrides`` replace show_animation's keyword arguments."""
    kwargs = dict(alt=ALT, label=LABEL, columns=COLUMNS, rows=ROWS, captions=CAPTIONS, dpi=50, max_kb=100)
    kwargs.update(overrides)
    return book.show_animation(build_function or build(), **kwargs)


@pytest.fixture
def made() -> book.AnimationPlayer:
    return player()


def test_player_is_self_contained_with_every_frame_embedded(made):
    html = made.html
    assert made.frames == FRAMES
    assert not re.search(r"https?://", html), "the player refers to the network"
    assert "<link" not in html and "font-awesome" not in html and '<i class="fa' not in html
    page = soup(html)
    for key in ("src", "href"):  # nothing is fetched: every source is inline data
        for element in page.find_all(attrs={key: True}):
            assert element[key].startswith("data:image/png;base64,"), (element.name, key, element[key][:40])
    # frame 0 is the image's own source; the script holds the others, each a distinct PNG
    img = page.find_all("img")
    assert len(img) == 1
    frames = [img[0]["src"]] + re.findall(r'frames\[(?:[1-9]\d*)\] = "(data:image/png;base64,[^"]+)"', html)
    assert len(frames) == FRAMES
    assert "frames[0] = document.getElementById(img_id).src;" in html
    pngs = [base64.b64decode(f.split(",", 1)[1]) for f in frames]
    assert all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pngs)
    assert len(set(pngs)) == FRAMES, "two frames are identical: the animation did not advance"
    # shown at 96 dpi: the width attribute is the PNG's width scaled from 50 dpi
    assert int(img[0]["width"]) == round(int.from_bytes(pngs[0][16:20], "big") * 96 / 50)
    assert len(html.encode()) <= 100 * 1024


def test_every_control_has_an_accessible_name(made):
    page = soup(made.html)
    buttons = page.find_all("button")
    assert len(buttons) == 9
    names = [b.get("aria-label", "").strip() for b in buttons]
    assert all(names), names
    assert {"Play", "Pause", "Next frame", "Previous frame", "First frame", "Last frame"} <= set(names)
    inputs = page.find_all("input")
    assert inputs
    for a in inputs:
        label = page.find("label", attrs={"for": a.get("id")}) if a.get("id") else None
        name = a.get("aria-label", "").strip() or (label.get_text(strip=True) if label else "")
        assert name, f"an <input type={a.get('type')}> without a name"
    slider = next(a for a in inputs if a.get("type") == "range")
    assert LABEL in slider["aria-label"]
    # the icons are drawn inline and hidden from screen readers (the buttons' names say it)
    svgs = page.find_all("svg")
    assert len(svgs) == 9 and all(a.get("aria-hidden") == "true" for a in svgs)
    group = page.select_one("div.convbook-animation")
    assert group.get("role") == "group" and group.get("aria-label") == LABEL


def test_alt_text_captions_and_text_alternative_are_present(made):
    page = soup(made.html)
    assert page.find("img")["alt"] == ALT
    # the caption of frame 1, and every caption in the script that updates it
    caption = page.select_one("p.convbook-animation-caption")
    assert caption.get("aria-live") == "polite"
    assert caption.get_text(strip=True) == f"1 of {FRAMES}: {CAPTIONS[0]}"
    assert f"var captions = {json.dumps(CAPTIONS)};" in made.html
    # the table of every step, folded under the player
    texts = lambda tag: [e.get_text(strip=True) for e in page.find_all(tag)]  # noqa: E731
    assert texts("summary") == ["Every step in numbers (text alternative)"]
    assert texts("th") == COLUMNS
    assert texts("td") == [str(v) for row in ROWS for v in row]
    assert page.find("table").find_parent("details") is not None


def test_figures_are_closed_and_the_html_is_escaped():
    before = plt.get_fignums()
    made = player(alt='A dot "moving" <right> & back again', rows=[["<b>1</b>", "x & y"]] * FRAMES,
                  captions=["x < 1 </script><script>alert(1)</script>"] * FRAMES)
    assert plt.get_fignums() == before
    assert "</script><script>alert" not in made.html and "<\\/script><script>alert(1)<\\/script>" in made.html
    assert 'alt="A dot &quot;moving&quot; &lt;right&gt; &amp; back again"' in made.html
    assert "<b>1</b>" not in made.html and "&lt;b&gt;1&lt;/b&gt;" in made.html
    assert made._repr_html_() == made.html


@pytest.mark.parametrize(("overrides", "argument"), [
    ({"build_function": "not a function"}, "build"),
    ({"build_function": lambda: plt.figure()}, "build"),
    ({"alt": "a dot"}, "alt"),
    ({"alt": None}, "alt"),
    ({"label": ""}, "label"),
    ({"summary": " "}, "summary"),
    ({"columns": []}, "columns"),
    ({"columns": ["Step", ""]}, "columns"),
    ({"rows": []}, "rows"),
    ({"rows": [[1, 0], [2]]}, "rows[1]"),
    ({"captions": []}, "captions"),
    ({"captions": CAPTIONS[:-1]}, "captions"),
    ({"dpi": 0}, "dpi"),
    ({"dpi": True}, "dpi"),
    ({"colors": 1}, "colors"),
    ({"colors": 2.5}, "colors"),
    ({"max_kb": -1}, "max_kb"),
    ({"max_kb": 1}, "max_kb"),
])
def test_bad_arguments_raise_a_value_error_naming_the_argument(overrides, argument):
    before = plt.get_fignums()
    with pytest.raises(ValueError, match=re.escape(argument)):
        player(**overrides)
    assert plt.get_fignums() == before, "a failed call left a figure open"


def test_full_colour_frames_are_heavier_than_the_palette():
    full = player(colors=None, max_kb=400)
    reduced = player(colors=16)
    assert full.frames == reduced.frames == FRAMES
    assert len(reduced.html) < len(full.html)

"""convbook.book.show_animation: a step-through player that works offline, from the keyboard, with a text alternative."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
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
    monkeypatch.setattr(book, "_display", lambda obj: False)


def player(build_function=None, **overrides) -> book.AnimationPlayer:
    """The test animation's player; ``overrides`` replace show_animation's keyword arguments."""
    kwargs = dict(alt=ALT, label=LABEL, columns=COLUMNS, rows=ROWS, captions=CAPTIONS, dpi=50, max_kb=100)
    kwargs.update(overrides)
    return book.show_animation(build_function or build(), **kwargs)


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside labels, summary and table cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.labels: dict[str, str] = {}
        self.text: dict[str, list[str]] = {"summary": [], "td": [], "th": [], "p": []}
        self._open: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        self._open.append((tag, a))

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self._open:
            return
        tag, a = self._open[-1]
        if tag == "label" and a.get("for"):
            self.labels[a["for"]] = self.labels.get(a["for"], "") + data.strip()
        if tag in self.text and data.strip():
            self.text[tag].append(data.strip())


def parse(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    tags.close()
    return tags


@pytest.fixture
def made() -> book.AnimationPlayer:
    return player()


def test_player_is_self_contained_with_every_frame_embedded(made):
    html = made.html
    assert made.frames == FRAMES
    assert not re.search(r"https?://", html), "the player refers to the network"
    assert "<link" not in html and "font-awesome" not in html and '<i class="fa' not in html
    tags = parse(html)
    for tag, a in tags.tags:  # nothing is fetched: every source is inline data
        for key in ("src", "href"):
            if key in a:
                assert a[key].startswith("data:image/png;base64,"), (tag, key, a[key][:40])
    # frame 0 is the image's own source; the script holds the others, each a distinct PNG
    img = [a for tag, a in tags.tags if tag == "img"]
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
    tags = parse(made.html)
    buttons = [a for tag, a in tags.tags if tag == "button"]
    assert len(buttons) == 9
    names = [b.get("aria-label", "").strip() for b in buttons]
    assert all(names), names
    assert {"Play", "Pause", "Next frame", "Previous frame", "First frame", "Last frame"} <= set(names)
    inputs = [a for tag, a in tags.tags if tag == "input"]
    assert inputs
    for a in inputs:
        name = a.get("aria-label", "").strip() or tags.labels.get(a.get("id", ""), "")
        assert name, f"an <input type={a.get('type')}> without a name"
    slider = next(a for a in inputs if a.get("type") == "range")
    assert LABEL in slider["aria-label"]
    # the icons are drawn inline and hidden from screen readers (the buttons' names say it)
    svgs = [a for tag, a in tags.tags if tag == "svg"]
    assert len(svgs) == 9 and all(a.get("aria-hidden") == "true" for a in svgs)
    group = next(a for tag, a in tags.tags if tag == "div" and "convbook-animation" in a.get("class", "").split())
    assert group.get("role") == "group" and group.get("aria-label") == LABEL


def test_alt_text_captions_and_text_alternative_are_present(made):
    tags = parse(made.html)
    img = next(a for tag, a in tags.tags if tag == "img")
    assert img["alt"] == ALT
    # the caption of frame 1, and every caption in the script that updates it
    caption = next(a for tag, a in tags.tags if tag == "p" and "convbook-animation-caption" in a.get("class", ""))
    assert caption.get("aria-live") == "polite"
    assert f"1 of {FRAMES}: {CAPTIONS[0]}" in tags.text["p"]
    assert f"var captions = {json.dumps(CAPTIONS)};" in made.html
    # the table of every step, folded under the player
    assert tags.text["summary"] == ["Every step in numbers (text alternative)"]
    assert tags.text["th"] == COLUMNS
    assert tags.text["td"] == [str(v) for row in ROWS for v in row]
    assert [tag for tag, _ in tags.tags].index("details") < [tag for tag, _ in tags.tags].index("table")


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

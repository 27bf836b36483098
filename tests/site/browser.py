"""Find a Chromium-family browser the way readers have one, and start it headless.

Tried in this order; the first that starts is used:

1. the executable named by the ``CONVBOOK_BROWSER`` environment variable;
2. Playwright's own Chromium, if ``playwright install chromium`` was run;
3. Chrome or Chromium on ``PATH``, or at their usual macOS and Linux places.

When none starts, :func:`launch` raises :class:`NoBrowser`, whose message
lists the three ways to provide one. Used by the browser tests
(tests/site/conftest.py) and by ``make pdf`` (tests/site/print_pdf.py).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

ENV_VAR = "CONVBOOK_BROWSER"

#: Executable names looked up on PATH.
PATH_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

#: Where Chrome and Chromium usually live (Debian/Ubuntu, Fedora, snap, macOS).
USUAL_PLACES = (
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/lib/chromium/chromium",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/opt/google/chrome/chrome",
    "/snap/bin/chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "~/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "~/Applications/Chromium.app/Contents/MacOS/Chromium",
)

#: Headless and quiet: no sandbox (CI runs as root), no network of the browser's own.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions"]

HOW_TO_PROVIDE = (
    "The browser tests and `make pdf` need Chrome or Chromium, and found none that starts. "
    "Provide one in any of three ways: "
    f"(1) set {ENV_VAR}=/path/to/chrome-or-chromium; "
    "(2) run `.venv/bin/playwright install chromium` (Playwright's own Chromium); "
    "(3) install Chrome or Chromium where it is usually found: "
    "`apt-get install chromium` on Debian/Ubuntu, `brew install --cask chromium` or Google Chrome on macOS, "
    "your distribution's chromium package elsewhere."
)


class NoBrowser(RuntimeError):
    """No candidate browser started; the message says how to provide one."""


def candidates(environ: dict[str, str] | None = None, *, playwright_chromium: str | None = None,
               path: str | None = None, places: Iterable[str] = USUAL_PLACES) -> list[tuple[str, str]]:
    """``[(where it came from, executable), ...]`` in the order they are tried, without repeats.

    ``playwright_chromium`` is where Playwright keeps its own Chromium
    (``playwright.chromium.executable_path``); ``path`` is the search PATH.
    """
    environ = os.environ if environ is None else environ
    found: list[tuple[str, str]] = []
    if environ.get(ENV_VAR):
        found.append((f"${ENV_VAR}", environ[ENV_VAR]))
    if playwright_chromium and Path(playwright_chromium).is_file():
        found.append(("Playwright's Chromium", playwright_chromium))
    search = environ.get("PATH", os.defpath) if path is None else path
    for name in PATH_NAMES:
        exe = shutil.which(name, path=search)
        if exe:
            found.append((f"{name} on PATH", exe))
    for place in places:
        place = os.path.expanduser(place)
        if Path(place).is_file() and os.access(place, os.X_OK):
            found.append(("usual place", place))
    seen: set[str] = set()
    unique = []
    for source, exe in found:
        key = os.path.realpath(exe)
        if key not in seen:
            seen.add(key)
            unique.append((source, exe))
    return unique


def launch(playwright, environ: dict[str, str] | None = None, **candidate_options):
    """The first candidate that starts, as a Playwright ``Browser`` (headless).

    Raises :class:`NoBrowser` (listing what was tried and the ways to provide a
    browser) when none does.
    """
    return start(playwright, environ, **candidate_options)[0]


def start(playwright, environ: dict[str, str] | None = None, **candidate_options):
    """``(browser, executable)``: as :func:`launch`, and which executable it started."""
    options = {"playwright_chromium": _playwright_chromium(playwright), **candidate_options}
    tried = []
    for source, exe in candidates(environ, **options):
        if not Path(exe).is_file():
            tried.append(f"{source}: {exe}: no such file")
            continue
        try:
            return playwright.chromium.launch(executable_path=exe, headless=True, args=ARGS, timeout=60_000), exe
        except Exception as exc:  # noqa: BLE001 -- any failure to start means: try the next one
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            tried.append(f"{source}: {exe}: does not start ({first_line})")
    raise NoBrowser(HOW_TO_PROVIDE + (" Tried: " + "; ".join(tried) + "." if tried else " Nothing found to try."))


def _playwright_chromium(playwright) -> str | None:
    try:
        return playwright.chromium.executable_path
    except Exception:  # noqa: BLE001 -- no bundled browser registered for this platform
        return None

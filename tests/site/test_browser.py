"""Finding the browser: the variable first, then Playwright's Chromium, then an installed Chrome/Chromium.

These tests start a real browser through a wrapper script that logs its use,
so they need one on this machine, found the way tests/site/browser.py finds it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from browser import ENV_VAR, NoBrowser, candidates, launch, start


def _script(path: Path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(path)


def _logging_wrapper(path: Path, log: Path, real: str) -> str:
    """An executable that notes it was started, then runs ``real``."""
    return _script(path, f'echo "started" >> "{log}"\nexec "{real}" "$@"')


@pytest.fixture(scope="module")
def real_browser(playwright) -> str:
    """A browser of this machine, found without the variable (the tests need one)."""
    environ = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    try:
        chromium, executable = start(playwright, environ)
    except NoBrowser as exc:
        pytest.fail(str(exc), pytrace=False)
    chromium.close()
    return executable


def test_the_variable_comes_first_then_playwright_then_path_then_usual_places(tmp_path):
    bundled = _script(tmp_path / "bundled-chrome", "exit 0")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    on_path = _script(bindir / "google-chrome", "exit 0")
    usual = _script(tmp_path / "usual-chromium", "exit 0")
    chosen = _script(tmp_path / "my-chrome", "exit 0")
    os.symlink(on_path, bindir / "chromium")  # the same browser twice: tried once
    found = candidates({ENV_VAR: chosen}, playwright_chromium=bundled, path=str(bindir),
                       places=(usual, str(tmp_path / "not-there")))
    assert [exe for _, exe in found] == [chosen, bundled, str(bindir / "chromium"), usual]
    assert [source for source, _ in found][0] == f"${ENV_VAR}"
    # nothing set, nothing installed: nothing to try
    assert candidates({}, playwright_chromium=str(tmp_path / "none"), path="", places=()) == []


def test_a_browser_named_by_the_variable_is_used(playwright, real_browser, tmp_path):
    log = tmp_path / "used.log"
    fake = _logging_wrapper(tmp_path / "my-browser", log, real_browser)
    chromium = launch(playwright, {ENV_VAR: fake, "PATH": ""}, playwright_chromium=None, places=())
    try:
        assert chromium.version, "the browser started but reports no version"
    finally:
        chromium.close()
    assert log.read_text().split() == ["started"], "the browser named by the variable was not the one started"


def test_one_that_does_not_start_gives_way_to_the_next(playwright, real_browser, tmp_path):
    broken = _script(tmp_path / "broken-browser", 'echo "not a browser" >&2\nexit 1')
    log = tmp_path / "next.log"
    usual = _logging_wrapper(tmp_path / "installed-browser", log, real_browser)
    chromium = launch(playwright, {ENV_VAR: broken, "PATH": ""}, playwright_chromium=None, places=(usual,))
    chromium.close()
    assert log.read_text().split() == ["started"]


def test_no_browser_fails_with_the_three_ways_to_provide_one(playwright, tmp_path):
    missing = str(tmp_path / "no" / "such" / "chrome")
    with pytest.raises(NoBrowser) as caught:
        launch(playwright, {ENV_VAR: missing, "PATH": ""}, playwright_chromium=None, places=())
    message = str(caught.value)
    assert "\n" not in message, "one message, on one line"
    for way in (f"set {ENV_VAR}=", "playwright install chromium", "apt-get install chromium",
                "macOS", f"{missing}: no such file"):
        assert way in message, f"the message does not say {way!r}: {message}"

"""Fixtures of the site tests: the built site, its server, the browser, one visit.

Which site: ``make test`` sets CONVBOOK_SITE to its fresh strict build
(_build/strict/html). Without it, ``pytest`` tests the last strict build, else
_build/html; a missing site is a failure, never a skip. The browser is found by tests/site/browser.py
(CONVBOOK_BROWSER, Playwright's Chromium, Chrome/Chromium installed); none is
always a failure, with the three ways to provide one.

Set CONVBOOK_SITE_REPORT=<file.json> to write what was found per page (axe
violations of every impact, figure contrasts, notebook runs) for review.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browser import NoBrowser, launch
from built_site import SITE
from server import SiteServer

_REPORT: dict[str, dict] = {}


@pytest.fixture(scope="session")
def record():
    """``record(page, key, value)``: note a finding for CONVBOOK_SITE_REPORT."""
    yield lambda page, key, value: _REPORT.setdefault(page, {}).__setitem__(key, value)
    target = os.environ.get("CONVBOOK_SITE_REPORT")
    if target and _REPORT:
        Path(target).write_text(json.dumps(_REPORT, indent=1, sort_keys=True, default=str), encoding="utf-8")


@pytest.fixture(scope="session")
def site() -> Path:
    """The built site; its absence is a failure (never a skip), saying how to build one."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site at {SITE}: run `make html` (or `make test`, which builds and tests "
                    "the strict site)", pytrace=False)
    return SITE


@pytest.fixture(scope="session")
def server(site):
    with SiteServer(site) as srv:
        yield srv


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright):
    try:
        chromium = launch(playwright)
    except NoBrowser as exc:
        pytest.fail(str(exc), pytrace=False)
    yield chromium
    chromium.close()


class Visit:
    """One browser context on the site: records every request leaving 127.0.0.1,
    local requests that failed, console errors and uncaught page errors."""

    def __init__(self, browser, server, *, mode: str = "light", **context_options):
        self.base = server.url
        self.external: list[str] = []
        self.failed: list[str] = []
        self.console: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options)
        # The theme reads the reader's choice from localStorage before it paints.
        self.context.add_init_script(
            f"try {{ if (!localStorage.getItem('mode')) localStorage.setItem('mode', '{mode}'); }} catch (e) {{}}")
        self.context.route("**/*", self._only_local)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.console.append(f"uncaught: {exc}"))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}")
                     if urlsplit(r.url).hostname == "127.0.0.1" else None)
        self.page.on("response", lambda r: self.failed.append(f"{r.url}: HTTP {r.status}")
                     if r.status >= 400 and not self._expected_404(r.url) else None)
        self.expect_404: str | None = None

    def _expected_404(self, url: str) -> bool:
        return self.expect_404 is not None and url == self.expect_404

    def _only_local(self, route):
        url = route.request.url
        if urlsplit(url).scheme in {"data", "blob"} or urlsplit(url).hostname == "127.0.0.1":
            return route.continue_()
        self.external.append(url)
        return route.abort()

    def _console(self, message):
        if message.type == "error" and not self._expected_404(message.location.get("url", "")):
            self.console.append(f"console.error: {message.text} ({message.location.get('url', '')})")

    def open(self, path: str) -> None:
        self.page.goto(f"{self.base}/{path}", wait_until="load")
        self.settle()

    def settle(self) -> None:
        """Wait for the network, then for MathJax if the page has maths."""
        self.page.wait_for_load_state("networkidle")
        if self.page.locator(".math").count():
            self.page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                        timeout=15_000)
            self.page.evaluate("() => MathJax.startup.promise")

    def problems(self) -> list[str]:
        return ([f"request to another host: {u}" for u in self.external]
                + [f"failed local request: {u}" for u in self.failed] + self.console)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser, server):
    """``visit(mode=..., **context_options)``: a new :class:`Visit`, closed after the test."""
    opened: list[Visit] = []

    def make(**kwargs) -> Visit:
        v = Visit(browser, server, **kwargs)
        opened.append(v)
        return v

    yield make
    for v in opened:
        v.close()

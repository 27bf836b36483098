"""Helpers shared by the tests, defined once.

``tests/`` is on pytest's ``pythonpath`` (pyproject.toml), so a test imports
them as ``from helpers import ...``.
"""

from __future__ import annotations

import functools
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------- numbers


def dilate(kernel, dilation):
    """``kernel`` (any number of dimensions) with ``d - 1`` zeros between its taps along each axis."""
    kernel = np.asarray(kernel)
    out = np.zeros(tuple((k - 1) * d + 1 for k, d in zip(kernel.shape, dilation)), dtype=kernel.dtype)
    out[tuple(slice(None, None, d) for d in dilation)] = kernel
    return out


def conv_magnitude(x, weight, bias=None):
    """A bound on the sum of ``|x| |w|`` over one output's terms, plus ``|bias|``."""
    x, weight = np.asarray(x), np.asarray(weight)
    terms = math.prod(weight.shape[1:])
    bound = terms * float(np.max(np.abs(x), initial=0.0)) * float(np.max(np.abs(weight), initial=0.0))
    if bias is not None:
        bound += float(np.max(np.abs(np.asarray(bias)), initial=0.0))
    return bound + 1.0


# ----------------------------------------------------------------- HTML and the built site


def soup(html: str) -> BeautifulSoup:
    """``html`` parsed (the standard library's parser, through BeautifulSoup)."""
    return BeautifulSoup(html, "html.parser")


@functools.cache
def page_soup(path: Path) -> BeautifulSoup:
    """A built page, parsed once per test session (treat it as read-only)."""
    return soup(Path(path).read_text(encoding="utf-8"))


def is_external(url: str) -> bool:
    """Whether ``url`` names another host (``http://host/...``, ``//host/...``): what a page must not load.

    ``mailto:``, ``data:`` or ``javascript:`` URLs load nothing from a host and
    are not external; nor are they files of the site (see :func:`has_scheme`).
    """
    return bool(urlsplit(url.strip()).netloc)


def has_scheme(url: str) -> bool:
    """Whether ``url`` is anything but a path in the site (a scheme or a host)."""
    parts = urlsplit(url.strip())
    return bool(parts.scheme or parts.netloc)


# ----------------------------------------------------------------- building a copy of the book

#: ANSI colour codes, stripped from build logs.
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def make_in_copy(tree: Path, *args: str, pythonpath: bool = True, timeout: int = 900) -> tuple[int, str]:
    """Run ``make <args>`` in a copy of the repository, as a reader would; return (exit code, log).

    The copy has no .venv of its own, so the Makefile is pointed at this
    interpreter (VPY, the venv running the tests) and its install step is
    skipped (STAMP empty: the copy's fresh pyproject.toml would otherwise
    re-install into that venv). PYTHONPATH makes the build and its kernel import
    the copy's engine, which the build insists on (convbook_cache); without it
    the build must refuse the checkout's engine.
    """
    env = {k: v for k, v in os.environ.items()
           if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "CONVBOOK_ONLY",
                        "CONVBOOK_CACHE_ROOT", "PYTHONPATH"}}
    if pythonpath:
        env["PYTHONPATH"] = str(tree / "src")
    cmd = ["make", "--no-print-directory", *args, f"VPY={sys.executable}", "STAMP="]
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, ANSI.sub("", proc.stdout + proc.stderr)

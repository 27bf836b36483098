"""Tests of the book's build machinery (not of the engine).

The build tests work on a copy of the repository in a temporary directory (the
checkout's own _build/ is never touched) and run Sphinx with the same flags as
`make html`, read from the Makefile. PYTHONPATH points at the copy's src/ so
that the copy's engine is the one imported by the build and by the kernel.
"""

from __future__ import annotations

import os
import re
import runpy
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from importlib.metadata import distributions
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _makefile_flags() -> list[str]:
    match = re.search(r"^STRICTOPTS\s*:=\s*(.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert match, "STRICTOPTS not found in the Makefile"
    flags = match.group(1).split()
    assert {"-W", "-n", "--keep-going"} <= set(flags), flags
    return flags


def _sphinx(tree: Path, *extra: str, pythonpath: bool = True) -> tuple[int, str]:
    """Build tree/docs into tree/_build/html like `make html`; return (exit code, log)."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = str(tree / "src")
    cmd = [sys.executable, "-m", "sphinx", "-c", ".", "-b", "html", *_makefile_flags(), *extra,
           "docs", "_build/html"]
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=600)
    return proc.returncode, ANSI.sub("", proc.stdout + proc.stderr)


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of the repository (sources only) that has been built once."""
    dest = tmp_path_factory.mktemp("book") / "repo"
    shutil.copytree(
        ROOT, dest,
        ignore=shutil.ignore_patterns(".venv", "_build", ".git", "__pycache__", ".pytest_cache",
                                      ".hypothesis", "*.ipynb", ".ipynb_checkpoints"),
    )
    rc, log = _sphinx(dest)
    assert rc == 0, f"clean build of the copy failed:\n{log}"
    assert "Executing notebook" in log, log
    return dest


# ----------------------------------------------------------------- the site


class _AssetCollector(HTMLParser):
    """Collects the URLs a page loads (not the ones it merely links to)."""

    LOADS = {"script": "src", "img": "src", "iframe": "src", "source": "src", "embed": "src",
             "audio": "src", "video": "src", "track": "src", "object": "data", "input": "src"}
    LINK_LOADS = {"stylesheet", "preload", "modulepreload", "icon", "shortcut", "apple-touch-icon",
                  "manifest", "prefetch"}

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in self.LOADS and a.get(self.LOADS[tag]):
            self.loads.append((tag, a[self.LOADS[tag]]))
        elif tag == "link" and a.get("href"):
            # every <link href> is checked; rel only decides what we call it
            self.loads.append((f"link rel={a.get('rel')}", a["href"]))


def _is_external(url: str) -> bool:
    parts = urlsplit(url.strip())
    return bool(parts.scheme in {"http", "https"} or parts.netloc or url.strip().startswith("//"))


def test_site_loads_nothing_from_outside(tree):
    site = tree / "_build" / "html"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 4, pages
    offenders = []
    for page in pages:
        collector = _AssetCollector()
        collector.feed(page.read_text(encoding="utf-8"))
        offenders += [f"{page.relative_to(site)}: <{tag}> {url}"
                      for tag, url in collector.loads if _is_external(url)]
    for css in sorted(site.rglob("*.css")):
        for url in re.findall(r"""(?:url\(|@import\s+)['"]?([^'")\s]+)""", css.read_text(errors="replace")):
            if _is_external(url):
                offenders.append(f"{css.relative_to(site)}: {url}")
    assert not offenders, "assets loaded from outside the site:\n" + "\n".join(offenders)


def test_maths_is_rendered_by_a_local_mathjax(tree):
    site = tree / "_build" / "html"
    page = site / "index.html"
    html = page.read_text(encoding="utf-8")
    assert 'class="math' in html, "the front page has no maths left to check MathJax with"
    collector = _AssetCollector()
    collector.feed(html)
    mathjax = [url for tag, url in collector.loads if tag == "script" and "mathjax" in url.lower()]
    assert mathjax, "no MathJax <script> on a page with maths"
    for url in mathjax:
        assert not _is_external(url), url
        assert (page.parent / urlsplit(url).path).is_file(), f"MathJax script {url} is not in the site"


def test_glued_numbers_checks_and_citation_are_rendered(tree):
    html = (tree / "_build" / "html" / "misconceptions.html").read_text(encoding="utf-8")
    text = " ".join(re.sub(r"<[^>]+>", "", html).split())
    # the page's first section: 8 filters per layer, three layers
    assert "there are 8 maps after the third layer, not 512" in text, "glue:text values missing"
    assert "checked: three layers of k filters give k maps" in text, "check lines missing"
    assert re.search(r'\[<a class="reference internal" href="references.html#[^"]+" '
                     r'title="PyTorch Contributors\. torch\.nn\.Conv2d\.[^"]*">\d+</a>\]', html), \
        "the {cite:p} citation was not rendered as a numbered link to the references page"
    refs = (tree / "_build" / "html" / "references.html").read_text(encoding="utf-8")
    assert "torch.nn.Conv2d" in refs


# ----------------------------------------------------------------- caching


def test_no_change_rebuild_reads_and_executes_nothing(tree):
    rc, log = _sphinx(tree)
    assert rc == 0, log
    assert "0 added, 0 changed, 0 removed" in log, log
    assert "Executing notebook" not in log, log


def test_engine_change_invalidates_cached_outputs(tree):
    """The stale-cache proof: the pages' code is unchanged, only src/ changes.

    jupyter-cache alone would serve the old outputs and the build would pass on
    a page whose checks no longer hold. With the fingerprint in conf.py the
    rebuild must re-execute the page, fail, and print the failing assertion.
    """
    init = tree / "src" / "convbook" / "__init__.py"
    original = init.read_bytes()
    rc, log = _sphinx(tree)  # make sure the cache is warm and the build green
    assert rc == 0, log
    try:
        init.write_bytes(original + (
            # Off by one, same name and docstring (so the API page is unchanged
            # and only the executed page can notice).
            b"\n\n# --- broken on purpose by tests/test_build.py ---\n"
            b"import functools as _test_build_functools\n\n"
            b"_test_build_original_count = conv2d_param_count\n\n\n"
            b"@_test_build_functools.wraps(_test_build_original_count)\n"
            b"def conv2d_param_count(*args, **kwargs):\n"
            b"    return _test_build_original_count(*args, **kwargs) + 1\n"
        ))
        rc, log = _sphinx(tree)
        assert rc != 0, f"the build passed with a broken engine (stale cache?):\n{log}"
        assert "Executing notebook" in log, log
        # The first page whose checks count parameters stops the build (which
        # page that is depends on the reading order); its failing claim is named.
        assert "ClaimError: claim does not hold:" in log, \
            f"no failing claim check in the log:\n{log}"
    finally:
        init.write_bytes(original)
    rc, log = _sphinx(tree)
    assert rc == 0, f"the build did not recover after reverting the engine:\n{log}"


def test_fingerprint_covers_numpy_and_python_versions(monkeypatch):
    """A NumPy or Python upgrade must invalidate cached outputs too."""
    monkeypatch.setenv("JUPYTER_PATH", "")  # conf.py sets it; restored afterwards
    conf = runpy.run_path(str(ROOT / "conf.py"))
    fingerprint = conf["_source_fingerprint"]
    current = conf["convbook_source_hash"]
    assert fingerprint() == current
    assert current[:16] in conf["nb_execution_cache_path"]
    real_versions = fingerprint.__globals__["_installed_versions"]
    assert "numpy" in real_versions()
    monkeypatch.setitem(fingerprint.__globals__, "_installed_versions",
                        lambda: {**real_versions(), "numpy": "0.0.0"})
    assert fingerprint() != current, "NumPy's version is not part of the fingerprint"
    monkeypatch.setitem(fingerprint.__globals__, "_installed_versions", real_versions)
    assert fingerprint() == current
    monkeypatch.setattr(sys, "version", sys.version + " (other)")
    assert fingerprint() != current, "Python's version is not part of the fingerprint"


def test_build_refuses_an_engine_from_another_checkout(tree):
    # Without PYTHONPATH the copy's build would import the checkout's convbook
    # (editable install), whose source the copy's fingerprint does not cover.
    rc, log = _sphinx(tree, pythonpath=False)
    assert rc != 0, log
    assert "convbook is imported from" in log, log


# ----------------------------------------------------------------- broken engines fail the book

#: Deliberate breakages of the engine, each a (file, original text, broken
#: text) replacement in src/convbook, and the page whose checks must catch it.
BREAKAGES = {
    "kernel flipped (convolution instead of cross-correlation)": (
        "conv.py",
        '    return _conv(ConvArgs("conv2d", x, weight, bias, stride, padding, dilation, groups, 2))',
        '    weight = np.asarray(weight)[..., ::-1, ::-1]\n'
        '    return _conv(ConvArgs("conv2d", x, weight, bias, stride, padding, dilation, groups, 2))',
        "misconceptions",
    ),
    "type 2.1 reads only the first map (channel sum removed)": (
        "readings.py",
        'return _conv(ConvArgs("conv2d_type2_1", x, shared, None,',
        'return _conv(ConvArgs("conv2d_type2_1", x[:, :1], shared[:, :1], None,',
        "three-readings",
    ),
    "parameter count ignores groups": (
        "counting.py",
        "def conv2d_param_count(c_in, c_out, kernel_size, *, groups=1, bias=True) -> int:",
        "def conv2d_param_count(c_in, c_out, kernel_size, *, groups=1, bias=True) -> int:\n"
        "    groups = 1  # broken on purpose by tests/test_build.py",
        "alexnet",
    ),
}


def _sphinx_page(tree: Path, page: str) -> tuple[int, str]:
    """Build one page of tree alone, like `make page PAGE=page` (fresh, forced execution)."""
    out = tree / "_build" / f"page-{page}"
    shutil.rmtree(out, ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(tree / "src"), CONVBOOK_ONLY=page,
               CONVBOOK_CACHE_ROOT=str(out / "cache"))
    cmd = [sys.executable, "-m", "sphinx", "-c", ".", "-b", "html", "-E", "-T", "-D",
           "nb_execution_mode=force", "docs", str(out / "html")]
    proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=600)
    return proc.returncode, ANSI.sub("", proc.stdout + proc.stderr)


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_broken_engine_fails_the_book(tree, breakage):
    """Break the engine in the copy; the page that relies on it must stop the build.

    The tree fixture has already built the whole unbroken book, so every page
    passes with the real engine; here one page is rebuilt alone with the
    broken one and must fail on one of its claim checks, which the log names.
    """
    filename, original, broken, page = BREAKAGES[breakage]
    source = tree / "src" / "convbook" / filename
    text = source.read_text()
    assert text.count(original) == 1, f"{filename}: the text to break is not there exactly once"
    try:
        source.write_text(text.replace(original, broken))
        rc, log = _sphinx_page(tree, page)
    finally:
        source.write_text(text)
    assert rc != 0, f"{page} still builds with the engine broken ({breakage}):\n{log}"
    assert "ClaimError: claim does not hold:" in log, f"{page} did not fail on a claim check:\n{log}"


# ----------------------------------------------------------------- the lock file


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_installed_distribution_is_pinned():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, ver = line.partition("==")
            assert ver, f"not an exact pin: {line!r}"
            pins[_norm(name)] = ver
    assert "convbook" not in pins
    installed = {_norm(d.metadata["Name"]): d.version for d in distributions()}
    unpinned = sorted(set(installed) - set(pins) - {"convbook", "pip", "setuptools", "wheel"})
    assert not unpinned, (f"installed but not in constraints.txt: {unpinned} -- run `make lock` after "
                          "changing pyproject.toml; `make clean-all` drops packages installed by hand")
    differ = {n: (installed[n], pins[n]) for n in pins if n in installed and installed[n] != pins[n]}
    assert not differ, f"installed version != pinned version: {differ}"

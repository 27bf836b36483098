"""Tests of the book's build machinery (not of the engine).

The build tests work on a copy of the repository in a temporary directory (the
checkout's own _build/ is never touched) and run `make html` or `make page`
in them, pointed at this interpreter (helpers.make_in_copy). PYTHONPATH points at
the copy's src/ so that the copy's engine is the one imported by the build and by
the kernel. The broken-engine table is tests/test_mutations.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from importlib.metadata import distributions
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from helpers import is_external, make_in_copy, soup


ROOT = Path(__file__).resolve().parents[1]


def _sphinx(tree: Path, pythonpath: bool = True) -> tuple[int, str]:
    """Build tree/docs into tree/_build/html with `make html`; return (exit code, log)."""
    return make_in_copy(tree, "html", pythonpath=pythonpath, timeout=600)


def test_make_html_is_strict():
    """`make html` builds with warnings as errors, every reference resolved, and keeps going to list them all."""
    proc = subprocess.run(["make", "-n", "--no-print-directory", "html", f"VPY={sys.executable}", "STAMP="],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    command = next(line for line in proc.stdout.splitlines() if "-m sphinx" in line)
    assert {"-W", "-n", "--keep-going"} <= set(command.split()), command


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


#: The attribute through which each tag loads a URL (what it merely links to is not loaded).
LOADS = {"script": "src", "img": "src", "iframe": "src", "source": "src", "embed": "src",
         "audio": "src", "video": "src", "track": "src", "object": "data", "input": "src"}


def _loads(html: str) -> list[tuple[str, str]]:
    """``[(tag, url), ...]`` that a page loads; every ``<link href>`` counts (rel only names it)."""
    found = []
    for element in soup(html).find_all([*LOADS, "link"]):
        if element.name == "link" and element.get("href"):
            found.append((f"link rel={element.get('rel')}", element["href"]))
        elif element.name in LOADS and element.get(LOADS[element.name]):
            found.append((element.name, element[LOADS[element.name]]))
    return found


def test_site_loads_nothing_from_outside(tree):
    site = tree / "_build" / "html"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 4, pages
    offenders = []
    for page in pages:
        offenders += [f"{page.relative_to(site)}: <{tag}> {url}"
                      for tag, url in _loads(page.read_text(encoding="utf-8")) if is_external(url)]
    for css in sorted(site.rglob("*.css")):
        for url in re.findall(r"""(?:url\(|@import\s+)['"]?([^'")\s]+)""", css.read_text(errors="replace")):
            if is_external(url):
                offenders.append(f"{css.relative_to(site)}: {url}")
    assert not offenders, "assets loaded from outside the site:\n" + "\n".join(offenders)


def test_maths_is_rendered_by_a_local_mathjax(tree):
    site = tree / "_build" / "html"
    page = site / "index.html"
    html = page.read_text(encoding="utf-8")
    assert 'class="math' in html, "the front page has no maths left to check MathJax with"
    mathjax = [url for tag, url in _loads(html) if tag == "script" and "mathjax" in url.lower()]
    assert mathjax, "no MathJax <script> on a page with maths"
    for url in mathjax:
        assert not is_external(url), url
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
    a page whose checks no longer hold. With the engine's fingerprint
    (docs/_ext/convbook_cache.py) naming the execution cache, the rebuild must
    re-execute the page, fail, and print the failing assertion.
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


def test_fingerprint_covers_numpy_and_python_versions(monkeypatch, tmp_path):
    """A NumPy or Python upgrade must invalidate cached outputs too (and so must any file of src/)."""
    import convbook_cache as cache

    src = ROOT / "src" / "convbook"
    current = cache.fingerprint(src)
    assert cache.cache_dir(tmp_path, current) == tmp_path / current[:16]
    real_versions = cache.installed_versions()
    assert "numpy" in real_versions
    monkeypatch.setattr(cache, "installed_versions", lambda: {**real_versions, "numpy": "0.0.0"})
    assert cache.fingerprint(src) != current, "NumPy's version is not part of the fingerprint"
    monkeypatch.setattr(cache, "installed_versions", lambda: real_versions)
    assert cache.fingerprint(src) == current
    monkeypatch.setattr(sys, "version", sys.version + " (other)")
    assert cache.fingerprint(src) != current, "Python's version is not part of the fingerprint"
    monkeypatch.undo()
    copy = tmp_path / "src" / "convbook"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert cache.fingerprint(copy) == current
    (copy / "book" / "tables.py").write_text((copy / "book" / "tables.py").read_text() + "\n")
    assert cache.fingerprint(copy) != current, "a file in a subpackage is not part of the fingerprint"


def test_build_refuses_an_engine_from_another_checkout(tree):
    # Without PYTHONPATH the copy's build would import the checkout's convbook
    # (editable install), whose source the copy's fingerprint does not cover.
    rc, log = _sphinx(tree, pythonpath=False)
    assert rc != 0, log
    assert "convbook is imported from" in log, log


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

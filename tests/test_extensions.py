"""The book's Sphinx extensions (docs/_ext), function by function, without building the book."""

from __future__ import annotations

import os
from pathlib import Path

import convbook_cache as cache
import convbook_checks as checks
import convbook_mathjax as mathjax
import pytest

from convbook.book import check

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------- convbook_cache


def test_cache_root_and_directory(tmp_path):
    assert cache.cache_root(tmp_path, {}) == tmp_path / "_build" / ".jupyter_cache"
    assert cache.cache_root(tmp_path, {"CONVBOOK_CACHE_ROOT": "/elsewhere"}) == Path("/elsewhere")
    assert cache.cache_dir(tmp_path, "0123456789abcdef" * 4) == tmp_path / "0123456789abcdef"


def test_purge_stale_keeps_only_the_current_fingerprint(tmp_path):
    for name in ("old1", "old2", "current"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "cache.db").write_text("x")
    (tmp_path / "a-file").write_text("not a cache")
    deleted = cache.purge_stale(tmp_path, tmp_path / "current")
    assert [p.name for p in deleted] == ["old1", "old2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "current"]
    assert cache.purge_stale(tmp_path / "missing", tmp_path / "missing" / "x") == []


def test_the_engine_must_come_from_this_checkout(tmp_path):
    cache.require_engine_from(ROOT / "src" / "convbook")  # the editable install
    with pytest.raises(RuntimeError, match=r"^convbook is imported from '.*', not from .*; install this checkout"):
        cache.require_engine_from(tmp_path / "src" / "convbook")


def test_kernel_path_puts_this_environment_first():
    assert cache.kernel_path("/venv", {}) == os.path.join("/venv", "share", "jupyter")
    assert cache.kernel_path("/venv", {"JUPYTER_PATH": "/mine"}).split(os.pathsep) == [
        os.path.join("/venv", "share", "jupyter"), "/mine"]


# ----------------------------------------------------------------- convbook_checks

#: The end of the traceback IPython shows for a failing check (colours stripped).
CLAIM_TRACEBACK = """\
---------------------------------------------------------------------------
ClaimError                                Traceback (most recent call last)
Cell In[7], line 2
      1 params = convbook.conv2d_param_count(3, 96, 11)
----> 2 check("conv1 has 34,944 parameters", params, 34944, basis="published: Figure 2")

File /work/main/src/convbook/book/checks.py:243, in check(claim, computed, expected, basis, rtol, atol)
--> 243     raise ClaimError(

ClaimError: claim does not hold: conv1 has 34,944 parameters: computed 34945, expected 34944"""


def _claim_message() -> str:
    with pytest.raises(AssertionError) as info:
        check("conv1 has 34,944 parameters", 34945, 34944, basis="published: Figure 2")
    return str(info.value)


def test_a_failed_check_is_read_back_from_its_traceback():
    claim, message = checks._error_message(CLAIM_TRACEBACK)
    assert claim
    assert message == _claim_message()   # the message check() raises, as the build lists it


def test_an_array_claim_spanning_lines_is_one_line():
    claim, message = checks._error_message(
        "ClaimError: claim does not hold: maps: computed array([[1, 2],\n       [3, 4]]), expected 0")
    assert claim and message == "claim does not hold: maps: computed array([[1, 2], [3, 4]]), expected 0"


def test_another_exception_is_not_a_claim():
    claim, message = checks._error_message("Traceback ...\nCell In[3], line 1\n\nNameError: name 'x' is not defined\n")
    assert not claim and message == "NameError: name 'x' is not defined"


def test_failing_claims_are_the_last_lines():
    failures = [
        checks.Failure("alexnet", "docs/alexnet.md", 120, True, "claim does not hold: a: computed 1, expected 2", ""),
        checks.Failure("pooling", "docs/pooling.md", 40, False, "NameError: name 'x' is not defined", "..."),
        checks.Failure("which-one", "docs/which-one.md", None, True, "claim does not hold: b: computed 3, expected 4", ""),
    ]
    lines = checks.failure_lines(failures)
    assert lines[0] == ("convbook: the book does not verify: 2 claims do not hold and 1 cells raised another "
                        "exception, on 3 pages (every cell of every page was run):")
    assert lines[1:] == [
        "  docs/pooling.md:40: NameError: name 'x' is not defined   [traceback above]",
        "  docs/alexnet.md:120: claim does not hold: a: computed 1, expected 2",
        "  docs/which-one.md: claim does not hold: b: computed 3, expected 4",
    ]


# ----------------------------------------------------------------- convbook_mathjax


def test_only_what_a_browser_loads_is_copied(tmp_path):
    source = mathjax.mathjax_source()
    dest = tmp_path / "_static" / "mathjax"
    (dest / "sre").mkdir(parents=True)  # left by a build that copied all of MathJax
    mathjax.copy_mathjax(source, dest)
    assert sorted(p.name for p in dest.iterdir()) == ["input", "output", "tex-chtml.js"]
    assert (dest / "output" / "chtml" / "fonts" / "woff-v2" / "MathJax_Main-Regular.woff").is_file()
    assert (dest / "input" / "tex" / "extensions" / "boldsymbol.js").is_file()
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    whole = sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
    assert size < 3_000_000 < 20_000_000 < whole, (size, whole)


def test_a_long_value_is_cut_in_the_last_lines():
    failure = checks.Failure("a", "docs/a.md", 3, True, "claim does not hold: x: computed " + "1, " * 300, "")
    line = failure.summary()
    assert line.startswith("docs/a.md:3: claim does not hold: x: computed 1, 1, ")
    assert line.endswith(" … (in full above)") and len(line) < 450

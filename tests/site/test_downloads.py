"""The downloads: every executed page offers its notebook and its source, and the notebook runs alone.

A reader who downloads a page's notebook must be able to run it top to bottom
in a fresh venv holding only NumPy, matplotlib and convbook (this checkout),
and see the same checks pass as the page shows. The fresh venv is built once
per session (pip, pinned by constraints.txt), so these tests need the package
registry.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from importlib.metadata import distribution
from pathlib import Path

import pytest
from built_site import EXECUTED, ROOT, SITE, checks

#: Runs the script given as its first argument; logs every top-level module no installed package provides.
RECORD_MISSING_IMPORTS = Path(__file__).resolve().parent / "record_missing_imports.py"


@pytest.mark.parametrize("path", EXECUTED)
def test_page_downloads_as_notebook_and_source(visit, path):
    v = visit()
    v.open(path)
    stem = path.removesuffix(".html")
    # textContent, not innerText: a folded cell's source is not rendered, but it is there.
    code = v.page.locator("div.cell_input pre").evaluate_all("els => els.map(e => e.textContent)")
    got = {}
    for label, button in [("ipynb", "a.btn-download-notebook-button"), ("md", "a.btn-download-source-button")]:
        v.page.locator(".dropdown-download-buttons > button").click()
        with v.page.expect_download() as info:
            v.page.locator(button).click()
        download = info.value
        got[label] = Path(download.path()).read_bytes()
        assert download.suggested_filename == f"{Path(stem).name}.{label}", download.suggested_filename
        assert got[label] == (SITE / "_sources" / f"{stem}.{label}").read_bytes()
    source = ROOT / "docs" / f"{stem}.md"
    if source.is_file() and source.stat().st_mtime <= (SITE / path).stat().st_mtime:  # not edited since
        assert got["md"] == source.read_bytes(), f"the .md download is not docs/{stem}.md"
    notebook = json.loads(got["ipynb"])
    assert notebook["nbformat"] == 4
    sources = ["".join(c["source"]).strip() for c in notebook["cells"] if c["cell_type"] == "code"]
    shown = [c.strip() for c in code]
    missing = [c[:60] for c in shown if c not in sources]
    assert not missing, f"code cells on the page but not in the notebook: {missing}"
    assert not v.problems(), v.problems()


def _allowed_distributions() -> set[str]:
    """numpy, matplotlib, convbook and what they require (no extras)."""
    from packaging.requirements import Requirement

    todo, seen = ["numpy", "matplotlib", "convbook"], set()
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in seen:
            continue
        seen.add(name)
        for req in distribution(name).requires or []:
            r = Requirement(req)
            if r.marker is None or r.marker.evaluate({"extra": ""}):
                todo.append(r.name)
    return seen


@pytest.fixture(scope="session")
def fresh_python(tmp_path_factory) -> Path:
    """A new venv with only numpy, matplotlib and convbook (this checkout), pinned by constraints.txt."""
    tmp = tmp_path_factory.mktemp("fresh")
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}

    def run(*cmd):
        proc = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout

    run(sys.executable, "-m", "venv", tmp / "venv")
    python = tmp / "venv" / "bin" / "python"
    run(sys.executable, "-m", "pip", "--disable-pip-version-check", "wheel", "-q", "--no-deps",
        "--no-build-isolation", "-w", tmp / "wheel", ROOT)
    wheel = next((tmp / "wheel").glob("convbook-*.whl"))
    run(python, "-m", "pip", "--disable-pip-version-check", "install", "-q", "-c", ROOT / "constraints.txt",
        "numpy", "matplotlib", wheel)
    installed = json.loads(run(python, "-m", "pip", "--disable-pip-version-check", "list", "--format=json"))
    names = {re.sub(r"[-_.]+", "-", d["name"]).lower() for d in installed}
    extra = names - _allowed_distributions() - {"pip", "setuptools", "wheel"}
    assert not extra, f"the fresh venv holds more than numpy, matplotlib and convbook: {sorted(extra)}"
    return python


@pytest.fixture(scope="session")
def baseline_missing(fresh_python, tmp_path_factory) -> set[str]:
    """Modules that the allowed packages themselves try and do without (IPython and myst_nb
    in convbook.book, Windows-only modules in matplotlib, ...): not a page's doing."""
    tmp = tmp_path_factory.mktemp("baseline")
    script = tmp / "baseline.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        import matplotlib.pyplot as plt
        import convbook
        from convbook.book import check, check_range, glue, show_figure
        check("one is one", np.int64(1), 1, basis="identity")
        check_range("one is about one", 1.0, 0.5, 1.5, basis="identity")
        glue("one", 1)
        def draw():
            fig, ax = plt.subplots()
            ax.plot([0, 1], [1, 0], label="a line")
            ax.legend()
            return fig
        show_figure(draw, alt="a line falling from one to zero")
        convbook.conv2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)))
    """))
    _, missing = _run_script(fresh_python, script, tmp)
    return missing


def _run_script(python: Path, script: Path, tmp: Path) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run ``script`` with ``python`` as a reader would; also return the top-level modules it could not find."""
    log = tmp / f"{script.stem}.missing"
    log.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    env.update(MPLBACKEND="Agg", MPLCONFIGDIR=str(tmp / "mpl"), CONVBOOK_MISSING_LOG=str(log))
    proc = subprocess.run([str(python), str(RECORD_MISSING_IMPORTS), str(script)], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=600)
    return proc, set(log.read_text().split()) if log.exists() else set()


@pytest.mark.parametrize("path", EXECUTED)
def test_downloaded_notebook_runs_with_numpy_matplotlib_and_convbook_only(fresh_python, baseline_missing, record,
                                                                            tmp_path, path):
    notebook = SITE / "_sources" / path.replace(".html", ".ipynb")
    assert notebook.is_file(), f"{path}: no notebook download at {notebook.relative_to(SITE)}"
    cells = [c for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells]
    code = "\n\n".join(f"# --- cell {n}\n{s}" for n, s in enumerate(sources, 1)) + "\n"
    try:
        compile(code, path, "exec")
    except SyntaxError as exc:
        pytest.fail(f"{path}: the notebook's code is not plain Python (an IPython magic?): {exc}", pytrace=False)
    script = tmp_path / f"{Path(path).stem}.py"
    script.write_text(code, encoding="utf-8")
    proc, missing = _run_script(fresh_python, script, tmp_path)
    missing = sorted(missing - baseline_missing)
    page_checks = checks(SITE / path)
    expected = len(page_checks)
    printed = proc.stdout.count("✓ checked")
    # A page may cross-check the engine against a package a reader need not
    # have (misconceptions: SciPy). Its notebook must then say so, skip exactly the
    # checks that name the package, and import nothing else that is missing.
    for module in OPTIONAL_IMPORTS.get(path, ()):
        if module in missing:
            missing.remove(module)
            skipped = sum(module in c.claim.lower() for c in page_checks)
            assert skipped, f"{path}: no check on the page names {module}, yet the notebook imports it"
            assert f"{module} is not installed" in proc.stdout.lower(), \
                f"{path}: the notebook does not tell the reader that {module} checks are skipped"
            expected -= skipped
    record(path, "notebook run", {"cells": len(sources), "exit": proc.returncode, "checks printed": printed,
                                   "checks on page": expected, "missing imports": missing,
                                   "stderr": proc.stderr[-1500:]})
    needs = (f"; it tries to import {', '.join(missing)}, which a reader with only NumPy, matplotlib "
             "and convbook does not have" if missing else "")
    assert proc.returncode == 0, \
        f"{path}: the downloaded notebook fails when run top to bottom{needs}:\n{proc.stderr[-3000:]}"
    assert printed == expected, (f"{path}: the page shows {expected} checks but the downloaded notebook printed "
                               f"{printed}{needs}")
    assert not missing, f"{path}: the downloaded notebook runs{needs} (the page catches the ImportError)"


#: Pages whose notebooks may cross-check against a package beyond NumPy,
#: matplotlib and convbook: docs/which-one.md compares the engine with
#: scipy.signal.correlate and convolve (issue 3 asks for exactly that).
OPTIONAL_IMPORTS = {"misconceptions.html": ("scipy",)}
